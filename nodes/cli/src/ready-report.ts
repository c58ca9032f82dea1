/**
 * How a long-running receiver (`listen`, `subscribe`, `agent join`) tells a script it is ready: its subscription,
 * consumer or membership exists, so nothing published or sent after that is missed. Started in the background
 * (`plexus subscribe … &`) it takes about 1.5 s to get there (2 s through npx); a `publish` right after the `&`
 * missed the first message about 1 time in 3 in the README tour, and the subscriber then waited forever.
 *
 * Two signals, both given once the command is ready:
 * - a line on stderr, `plexus: ready: …`;
 * - with `--ready-file PATH`, PATH appears, holding one JSON object ({"ready":true,"command","pid","mesh",…}). It is
 *   written to a temporary file beside PATH and renamed, so a reader never sees half of it; it is removed when the
 *   command has stopped (after `agent join` has left the registry), so a script can also wait for the stop. A stale
 *   file is removed at start, before anything connects; remove it yourself before starting the command (a fresh path
 *   from `mktemp -d` is simplest) so a waiter cannot see the old one in the second the CLI takes to start.
 * A process killed with SIGKILL cannot remove its file.
 */
import { rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { stringOption, type OptionValues } from "./common-options.js";
import { CliError, oneLine } from "./errors.js";
import type { Output } from "./output.js";

export interface ReadyReport {
  /** The command is ready: says so on stderr and writes the file (when asked for). */
  ready(line: string, details: Record<string, unknown>): Promise<void>;
  /** The command has stopped: removes the file (never throws). */
  stopped(): Promise<void>;
}

/** Reads `--ready-file` and removes a stale file at once, so a waiter can only see what this process writes. */
export async function readyReport(
  values: OptionValues,
  command: string,
  mesh: string,
  out: Output,
): Promise<ReadyReport> {
  const given = stringOption(values, "ready-file", command);
  const file = given === undefined || given === "" ? undefined : resolve(given);
  if (file) await remove(file, out);
  let written = false;
  return {
    async ready(line, details) {
      if (file) {
        const tmp = `${file}.${process.pid}.tmp`;
        const body = { ready: true, command, pid: process.pid, mesh, ...details, at: new Date().toISOString() };
        try {
          await writeFile(tmp, `${JSON.stringify(body)}\n`, { mode: 0o600 });
          await rename(tmp, file);
          written = true;
        } catch (err) {
          await rm(tmp, { force: true }).catch(() => undefined);
          throw new CliError(`--ready-file ${file}: could not write it: ${oneLine(err)}`, { cause: err });
        }
      }
      out.info(`plexus: ready: ${line}`);
    },
    async stopped() {
      if (file && written) await remove(file, out);
    },
  };
}

async function remove(file: string, out: Output): Promise<void> {
  try {
    await rm(file, { force: true });
  } catch (err) {
    out.warn(`--ready-file ${file}: could not remove it: ${oneLine(err)}`);
  }
}
