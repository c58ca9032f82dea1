/** `plexus audit export [--since TIME] [--until TIME] [--out FILE]`: JSON Lines to FILE, or to stdout. */
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import type { Writable } from "node:stream";
import { exportStore, type ExportSummary } from "@plexus/audit";
import { stringOption, type CommandContext } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { COMMAND, count, openLive, progress, timeOption } from "./shared.js";

export async function exportAuditCommand({ common, values, out }: CommandContext): Promise<number> {
  const since = timeOption(values, "since");
  const until = timeOption(values, "until");
  if (since !== undefined && until !== undefined && until < since)
    throw new UsageError("--until comes before --since", COMMAND);
  const file = stringOption(values, "out", COMMAND);
  if (file === "") throw new UsageError("--out needs a file name", COMMAND);

  const live = await openLive(common);
  const target = file !== undefined ? createWriteStream(file) : process.stdout;
  const failed = new Promise<never>((_, reject) =>
    target.once("error", (err) =>
      reject(new CliError(`cannot write ${file ?? "to stdout"}: ${err.message}`, { cause: err })),
    ),
  );
  failed.catch(() => undefined);
  const bar = progress(out.json, "exporting…");
  let summary: ExportSummary;
  try {
    const opts = { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
    summary = await Promise.race([
      exportStore({
        nc: live.nc,
        mesh: common.mesh,
        store: live.store,
        out: target as Writable,
        ...opts,
        onProgress: (n) => bar.update(n),
      }),
      failed,
    ]);
    if (file !== undefined) {
      target.end();
      await Promise.race([finished(target), failed]);
    }
  } finally {
    bar.done();
    await live.close();
  }
  const where = file ?? "stdout";
  const line = `exported ${count(summary.count, "position")}${summary.count > 0 ? ` (${summary.from}–${summary.to})` : ""} and ${count(summary.checkpoints, "checkpoint")} of mesh "${common.mesh}" to ${where}`;
  // With no --out, stdout is the export itself: the summary goes to stderr (and not at all with --json).
  if (file !== undefined) out.data(line, { ...summary, file });
  else if (!out.json) out.info(`plexus: ${line}`);
  return 0;
}
