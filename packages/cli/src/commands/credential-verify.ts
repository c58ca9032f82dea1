/** `plexus credential verify FILE`: strict local verification of a Plexus credential (no NATS, no registry). */
import { credentialRejectionOf, verifyPlexusCredential, type AnyCredential } from "@plexus/identity";
import { positionalArgs, type CommandContext } from "../common-options.js";
import { UsageError } from "../errors.js";
import { shortDid } from "../output.js";
import { claimsJson, COMMAND, describe, readJwt } from "./credential-common.js";

/** Exit 0 when FILE holds a valid membership or capability credential, 1 (naming the reason) when it does not. */
export async function verifyCredentialFile({ values, positionals, out }: CommandContext): Promise<number> {
  for (const name of ["as", "subject", "capability", "ttl", "bind-mesh", "out", "reason"]) {
    if (values[name] !== undefined) throw new UsageError(`--${name} does not apply to credential verify`, COMMAND);
  }
  const [file] = positionalArgs(positionals, ["FILE"], COMMAND) as [string];
  const jwt = await readJwt(file);
  let verified: AnyCredential;
  try {
    verified = await verifyPlexusCredential(jwt);
  } catch (err) {
    const reason = credentialRejectionOf(err);
    if (reason === undefined) throw err;
    const message = (err as Error).message;
    if (out.json) out.data("", { ok: false, reason, message });
    else out.warn(`${file}: invalid: ${message}`);
    return 1;
  }
  out.data(human(verified), { ok: true, kind: verified.kind, issuer: verified.issuer, claims: verified.kind === "capability" ? claimsJson(verified.claims) : verified.claims });
  return 0;
}

function human(v: AnyCredential): string {
  if (v.kind === "capability") return `valid: ${describe(v.claims)}`;
  const c = v.claims;
  return `valid: membership credential ${c.id}: ${shortDid(v.issuer)} admits ${shortDid(c.subject)} ("${c.name}") to mesh "${c.mesh}", expires ${new Date(c.expiresAt).toISOString()}`;
}
