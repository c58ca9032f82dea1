/**
 * `plexus audit check-proof FILE [--signer DID]... [--origin ORIGIN]`: checks a proof file offline (no NATS): the
 * checkpoint note's signature by a pinned signer, that it is the log of the mesh asked about (--origin, else
 * plexus.mesh/<--mesh>), then the proof. Exit 0 only when it holds AND the signer was pinned; exit 5 (not pinned) when
 * it holds but no --signer was given (anyone can sign a proof of their own: the file then only agrees with itself);
 * 3 invalid (AUDIT_TAMPERED's exit code, as `audit verify` for a chain that does not hold), with a stable reason
 * (malformed, checkpoint_signature, origin, ambiguous_subject, inclusion, consistency).
 */
import { readFile, stat } from "node:fs/promises";
import { checkProof, defaultOrigin } from "@plexus/audit";
import { MAX_PROOF_FILE_BYTES } from "@plexus/audit/internal";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import type { CommandContext } from "../../common-options.js";
import { stringOption } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { COMMAND, EXIT_NOT_PINNED, trustedSigners } from "./shared.js";

export const EXIT_INVALID_PROOF = exitCodeFor(ErrorCode.AuditTampered);

export async function checkProofAudit({
  common,
  values,
  out,
  positionals,
}: CommandContext & { positionals: string[] }): Promise<number> {
  const file = positionals[0]!;
  const origin = requiredOrigin(common.mesh, values);
  let parsed: unknown;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_PROOF_FILE_BYTES)
      throw new Error(`it is ${size} bytes; a proof file is at most ${MAX_PROOF_FILE_BYTES}`);
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read ${file} as JSON: ${(err as Error).message}`, {
      cause: err,
      code: ErrorCode.InvalidArgument,
    });
  }
  const signers = trustedSigners(values);
  const r = checkProof(parsed, signers ? { signers, origin } : { origin });
  if (!r.ok) {
    const hint =
      r.reason === "origin" ? ` (checking a proof of another mesh: pass its --mesh NAME or --origin ORIGIN)` : "";
    out.data(`INVALID: ${r.reason}: ${r.detail}${hint}`, { ...r, pinned: signers !== undefined, origin, file });
    return EXIT_INVALID_PROOF;
  }
  const what =
    r.kind === "inclusion"
      ? `position ${r.position} is in the log ${r.origin} of ${r.size.toLocaleString("en-US")} events (root ${r.root})`
      : `the log ${r.origin} at ${r.fromSize!.toLocaleString("en-US")} events is a prefix of it at ${r.size.toLocaleString("en-US")} (root ${r.root})`;
  if (!r.pinned) {
    const detail = `the proof holds, but its checkpoint is signed by ${r.signers.join(", ")}, the key the file itself names: nobody pinned it`;
    out.data(`NOT PINNED: ${what}; ${detail} (pass --signer DID with your registry's key)`, {
      ...r,
      ok: false,
      reason: "not_pinned",
      detail,
      file,
    });
    return EXIT_NOT_PINNED;
  }
  out.data(`valid: ${what}; checkpoint signed by ${r.signers.join(", ")} (pinned)`, { ...r, file });
  return 0;
}

/** --origin ORIGIN as given, else the mesh's (--mesh, $PLEXUS_MESH, "default"): plexus.mesh/<mesh>. */
function requiredOrigin(mesh: string, values: CommandContext["values"]): string {
  const origin = stringOption(values, "origin", COMMAND);
  if (origin === undefined) return defaultOrigin(mesh);
  if (origin.trim() === "" || /[\n\r]/.test(origin))
    throw new UsageError(`--origin ${JSON.stringify(origin)} is not a log origin (one non-empty line)`, COMMAND);
  if (values["mesh"] !== undefined && origin !== defaultOrigin(mesh)) {
    throw new UsageError(
      `--origin ${origin} and --mesh ${mesh} (origin ${defaultOrigin(mesh)}) name two logs: give one`,
      COMMAND,
    );
  }
  return origin;
}
