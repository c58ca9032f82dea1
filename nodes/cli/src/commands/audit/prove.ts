/**
 * `plexus audit prove ID | --position N [--out FILE]`: an inclusion proof of one event against the newest checkpoint;
 * `plexus audit prove --from-checkpoint OLD [--out FILE]`: a consistency proof from an older checkpoint to the newest.
 * Both are JSON files that `plexus audit check-proof` (or @plexus/audit `checkProof`) checks without NATS.
 */
import { readFile, writeFile } from "node:fs/promises";
import { proveConsistency, proveInclusion, type ProofFile } from "@plexus/audit";
import { ErrorCode, PlexusError } from "@plexus/core";
import { intOption, stringOption, type CommandContext } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { COMMAND, openLive, trustedSigners } from "./shared.js";

export async function proveAudit({
  common,
  values,
  out,
  positionals,
}: CommandContext & { positionals: string[] }): Promise<number> {
  const position = intOption(values, "position", COMMAND, 1);
  const fromFile = stringOption(values, "from-checkpoint", COMMAND);
  const outFile = stringOption(values, "out", COMMAND);
  const id = positionals[0];
  const asked = [id !== undefined, position !== undefined, fromFile !== undefined].filter(Boolean).length;
  if (asked !== 1)
    throw new UsageError("give exactly one of: an envelope ID, --position N, --from-checkpoint FILE", COMMAND);
  const older = fromFile !== undefined ? await olderCheckpoint(fromFile) : undefined;
  const live = await openLive(common);
  let proof: ProofFile;
  try {
    const signers = trustedSigners(values);
    const source = { nc: live.nc, mesh: common.mesh, store: live.store, ...(signers ? { signers } : {}) };
    if (older !== undefined) proof = await proveConsistency({ ...source, from: older });
    else if (position !== undefined) proof = await proveInclusion({ ...source, position });
    else proof = await proveInclusion({ ...source, id: id! });
  } catch (err) {
    if (err instanceof PlexusError) throw new CliError(`${err.message} [${err.code}]`, { cause: err });
    throw err;
  } finally {
    await live.close();
  }
  const text = `${JSON.stringify(proof, null, 2)}\n`;
  if (outFile !== undefined) {
    await writeFile(outFile, text);
    const what = proof.format.includes("inclusion")
      ? `inclusion of position ${(proof as { position: number }).position}`
      : "consistency";
    out.data(`wrote the ${what} proof to ${outFile}`, { ok: true, out: outFile, format: proof.format });
  } else {
    process.stdout.write(text);
  }
  return 0;
}

/** The older checkpoint: a checkpoint note, or a proof file holding one (an inclusion proof's, a consistency proof's newer). */
async function olderCheckpoint(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
      code: ErrorCode.InvalidArgument,
    });
  }
  if (!text.trimStart().startsWith("{")) return text;
  try {
    const v = JSON.parse(text) as { checkpoint?: unknown; to?: unknown; note?: unknown };
    const note = v.checkpoint ?? v.to ?? v.note;
    if (typeof note === "string") return note;
  } catch {
    // fall through
  }
  throw new CliError(`${file} holds no checkpoint note (give a note, a proof file or a checkpoint record)`, {
    code: ErrorCode.InvalidArgument,
  });
}
