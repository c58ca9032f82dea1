/**
 * `plexus audit check-proof FILE [--signer DID]`: checks a proof file offline (no NATS): the checkpoint note's
 * signature by the pinned signer (or, with none, says who signed and that nobody pinned it), then the proof.
 * Exit 0 valid, 1 invalid, with a stable reason (malformed, checkpoint_signature, origin, inclusion, consistency).
 */
import { readFile, stat } from "node:fs/promises";
import { checkProof, MAX_PROOF_FILE_BYTES } from "@plexus/audit";
import type { CommandContext } from "../../common-options.js";
import { CliError } from "../../errors.js";
import { trustedSigners } from "./shared.js";

export const EXIT_INVALID_PROOF = 1;

export async function checkProofAudit({ values, out, positionals }: CommandContext & { positionals: string[] }): Promise<number> {
  const file = positionals[0]!;
  let parsed: unknown;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_PROOF_FILE_BYTES) throw new Error(`it is ${size} bytes; a proof file is at most ${MAX_PROOF_FILE_BYTES}`);
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  const signers = trustedSigners(values);
  const r = checkProof(parsed, signers ? { signers } : {});
  if (!r.ok) {
    out.data(`INVALID: ${r.reason}: ${r.detail}`, { ...r, file });
    return EXIT_INVALID_PROOF;
  }
  const what =
    r.kind === "inclusion"
      ? `position ${r.position} is in the log ${r.origin} of ${r.size.toLocaleString("en-US")} events (root ${r.root})`
      : `the log ${r.origin} at ${r.fromSize!.toLocaleString("en-US")} events is a prefix of it at ${r.size.toLocaleString("en-US")} (root ${r.root})`;
  out.data(`valid: ${what}; checkpoint signed by ${r.signers.join(", ")}${r.pinned ? "" : " (NOT PINNED: pass --signer DID to require your registry's key)"}`, { ...r, file });
  return 0;
}
