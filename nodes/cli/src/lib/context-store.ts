/**
 * Stored contexts, like the `nats` CLI's: named sets of the connection flags (--nats, --mesh, --keys, --nats-auth)
 * so a user stops repeating them. One JSON file, contexts.json, in $PLEXUS_CONFIG_HOME, else
 * $XDG_CONFIG_HOME/plexus, else ~/.config/plexus; written atomically (a temporary file renamed over it), mode 0600,
 * its folder 0700. Which context applies: --context NAME, else $PLEXUS_CONTEXT, else the current one (context use).
 */
import { ErrorCode } from "@plexus/core";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError } from "../errors.js";

export interface StoredContext {
  nats?: string;
  mesh?: string;
  keys?: string;
  natsAuth?: string;
}

export interface ContextFile {
  current?: string;
  contexts: Record<string, StoredContext>;
}

export const CONTEXT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === "" ? undefined : v;
}

export function configDir(): string {
  return env("PLEXUS_CONFIG_HOME") ?? join(env("XDG_CONFIG_HOME") ?? join(homedir(), ".config"), "plexus");
}

export function contextsFile(): string {
  return join(configDir(), "contexts.json");
}

/** The stored contexts; none when the file does not exist. A file that is not ours is an error naming it. */
export function readContexts(): ContextFile {
  const file = contextsFile();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { contexts: {} };
    throw new CliError(`cannot read the contexts file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as Partial<ContextFile>;
    if (
      typeof parsed !== "object" ||
      parsed === null ||
      typeof parsed.contexts !== "object" ||
      parsed.contexts === null
    )
      throw new Error('no "contexts" object');
    return { ...(typeof parsed.current === "string" ? { current: parsed.current } : {}), contexts: parsed.contexts };
  } catch (err) {
    throw new CliError(`the contexts file ${file} is not valid (${(err as Error).message}); fix or remove it`, {
      cause: err,
      code: ErrorCode.ConfigInvalid,
    });
  }
}

/** Writes the whole file atomically, mode 0600. */
export function writeContexts(data: ContextFile): void {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = contextsFile();
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write the contexts file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A context by name; an unknown name is an error that lists the known ones. */
export function getContext(data: ContextFile, name: string): StoredContext {
  const found = Object.hasOwn(data.contexts, name) ? data.contexts[name] : undefined;
  if (found) return found;
  const known = Object.keys(data.contexts);
  throw new CliError(
    `no context named "${name}" in ${contextsFile()} (${known.length ? `known: ${known.join(", ")}` : "none stored yet; add one with: plexus context add NAME --nats URL"})`,
    { code: ErrorCode.InvalidArgument },
  );
}

/** The context that applies to this command line (--context, $PLEXUS_CONTEXT, the current one), if any. */
export function selectedContext(flag: string | undefined): { name: string; context: StoredContext } | undefined {
  const name = flag ?? env("PLEXUS_CONTEXT");
  const data = readContexts();
  if (name !== undefined) return { name, context: getContext(data, name) };
  if (data.current === undefined) return undefined;
  return { name: data.current, context: getContext(data, data.current) };
}
