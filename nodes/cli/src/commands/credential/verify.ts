/**
 * `plexus credential verify FILE [--registry DID]... [--audience AUD]... [--offline]`: strict verification of a Plexus
 * credential, saying what it checked and what it could not. Online (the default) the mesh's registry names its
 * registry keys and says whether the credential was revoked; offline (--offline, or --registry) the user names the
 * registry keys and revocation is reported "not checked (offline)".
 */
import { ErrorCode, exitCodeFor } from "@plexus/core";
import {
  CredentialRejection,
  credentialRejectionOf,
  verifyPlexusCredential,
  type AnyCredential,
} from "@plexus/identity";
import { peekJwtPayload } from "@plexus/identity/internal";
import type { CredentialStatusView } from "@plexus/anp";
import { positionalArgs, type CommandContext, type OptionValues } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { claimsJson, COMMAND, describe, iso, readJwt } from "./common.js";
import { offlineChecks, onlineChecks, type VerifyChecks } from "./checks.js";

/** The refusal reasons `verify` adds to the verifier's (CredentialRejection), from what the registry recorded. */
export const REVOKED = "revoked";
/** A membership credential of an agent an operator suspended (the registry counts it as revoked meanwhile). */
export const SUSPENDED = "suspended";
/** Its subject's or its issuer's key was rotated away (the registry's reason for what such a key signs). */
export const ROTATED_KEY = "rotated_key";

/** Options of the other credential subcommands. */
const NOT_FOR_VERIFY = ["as", "subject", "capability", "ttl", "bind-mesh", "out", "reason"];

function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  const list = (Array.isArray(v) ? v : [v]).map(String);
  for (const item of list)
    if (item.trim() === "" || item.length > 500)
      throw new UsageError(`--${name} needs a value of 1 to 500 characters`, COMMAND);
  return list;
}

interface Refusal {
  reason: string;
  message: string;
  revocation?: unknown;
  suspension?: unknown;
}

/** Exit 0 when FILE holds a credential valid in the mesh, CREDENTIAL_INVALID's (8, naming the reason) when it does not. */
export async function verifyCredentialFile({ common, values, positionals, out }: CommandContext): Promise<number> {
  for (const name of NOT_FOR_VERIFY)
    if (values[name] !== undefined) throw new UsageError(`--${name} does not apply to credential verify`, COMMAND);
  const [file] = positionalArgs(positionals, ["FILE"], COMMAND) as [string];
  const audiences = listOption(values, "audience");
  const registries = await Promise.all(
    listOption(values, "registry").map((ref) => resolveAgent(common, ref, COMMAND, "--registry")),
  );
  const offline = values["offline"] === true || registries.length > 0;
  const jwt = await readJwt(file);

  const refuse = (r: Refusal): number => {
    if (out.json) out.data("", { ok: false, ...r });
    else out.error(`${file}: invalid: ${r.message}`);
    return exitCodeFor(ErrorCode.CredentialInvalid);
  };
  let checks: VerifyChecks;
  let verified: AnyCredential;
  try {
    peekJwtPayload(jwt); // a token that is not even a JWT is refused before anything connects
    checks = offline ? offlineChecks(registries, audiences) : await onlineChecks(common, jwt, audiences);
    verified = await verifyPlexusCredential(jwt, {
      registries: checks.registries,
      audience: checks.audiences,
      mesh: common.mesh,
    });
  } catch (err) {
    const reason = credentialRejectionOf(err);
    if (reason === undefined) throw err;
    return refuse({ reason, message: explain(reason, (err as Error).message, offline, common.mesh) });
  }
  const status = checks.status;
  if (status?.revoked && status.revocation) {
    const r = status.revocation;
    const why = r.reason ? ` (${JSON.stringify(r.reason)})` : "";
    return refuse({
      reason: REVOKED,
      message: `credential ${verified.claims.id} was revoked by ${r.revokedBy} at ${iso(r.at)}${why}, log position ${r.seq}`,
      revocation: r,
    });
  }
  if (status?.suspended) {
    const p = status.suspended;
    const why = p.reason ? ` (${JSON.stringify(p.reason)})` : "";
    const message = `credential ${verified.claims.id} is the membership credential of ${p.agent}, suspended by ${p.by} at ${iso(p.at)}${why}, log position ${p.seq}: it does not count while the agent is suspended`;
    return refuse({ reason: SUSPENDED, message, suspension: p });
  }
  const rotated = status ? rotation(status, verified.claims.subject) : undefined;
  if (rotated) return refuse({ reason: ROTATED_KEY, message: `credential ${verified.claims.id}: ${rotated}` });
  // Verified: the token names no audience, or (string or list) at least one accepted.
  const aud = peekJwtPayload(jwt).aud as string | string[] | undefined;
  const matched =
    aud === undefined ? [] : (typeof aud === "string" ? [aud] : aud).filter((a) => checks.audiences.includes(a));
  const result = {
    issuer: verified.kind === "membership" ? "registry_key" : "not_required",
    mesh: verified.kind === "membership" || verified.claims.mesh !== undefined ? "match" : "unbound",
    audience: aud === undefined ? "none" : "match",
    revocation: checks.online ? "not_revoked" : "not_checked",
  } as const;
  const claims = verified.kind === "capability" ? claimsJson(verified.claims) : verified.claims;
  out.data(human(verified, result, checks, common.mesh, matched), {
    ok: true,
    kind: verified.kind,
    issuer: verified.issuer,
    claims,
    online: checks.online,
    checks: result,
    ...(checks.asOf ? { asOf: checks.asOf } : {}),
  });
  return 0;
}

/**
 * Why a credential stopped counting with a key rotation, if it did: the log moved it to the subject's new DID (so the
 * DID it names is a key rotated away), or its issuer's key was rotated away and the log never recorded it (the
 * registry counts nothing such a key signs afterwards, and cannot tell when it signed).
 */
function rotation(status: CredentialStatusView, subject: string): string | undefined {
  if (status.holders.length > 0 && !status.holders.includes(subject)) {
    return `its subject ${subject} rotated its key: the log holds it for ${status.holders.join(", ")} now`;
  }
  if (status.issuerRotatedTo !== undefined && !status.known) {
    return `its issuer's key ${status.issuer} was rotated away (to ${status.issuerRotatedTo}) and the log never recorded this credential: nothing that key signs counts any more`;
  }
  return undefined;
}

/** The verifier's message, with what to do about the refusals the command's options can change. */
function explain(reason: string, message: string, offline: boolean, mesh: string): string {
  if (reason === CredentialRejection.IssuerUntrusted) {
    return offline
      ? `${message}: a membership credential is valid only from a registry key of mesh "${mesh}"; name one with --registry DID, or verify online`
      : `${message}: it is not a registry key of mesh "${mesh}" (a membership credential is valid only from one)`;
  }
  if (reason === CredentialRejection.WrongAudience) return `${message} (accept another audience with --audience AUD)`;
  return message;
}

function human(
  v: AnyCredential,
  checks: Record<"issuer" | "mesh" | "audience" | "revocation", string>,
  context: VerifyChecks,
  mesh: string,
  audiences: string[],
): string {
  const head =
    v.kind === "capability"
      ? `valid: ${describe(v.claims)}`
      : `valid: membership credential ${v.claims.id}: ${shortDid(v.issuer)} admits ${shortDid(v.claims.subject)} ("${v.claims.name}") to mesh "${v.claims.mesh}", expires ${iso(v.claims.expiresAt)}`;
  const source = context.online ? "the registry says so" : "given with --registry";
  return [
    head,
    `  issuer:     ${checks.issuer === "registry_key" ? `a registry key of mesh "${mesh}" (${source})` : "any key may issue a capability credential"}`,
    `  mesh:       ${checks.mesh === "match" ? `"${mesh}"` : "not bound to a mesh"}`,
    `  audience:   ${checks.audience === "none" ? "none named" : `addressed to ${audiences.map(shortDid).join(", ")} (accepted)`}`,
    `  revocation: ${checks.revocation === "not_checked" ? "not checked (offline)" : `not revoked (registry, log position ${context.asOf?.seq ?? "?"})`}`,
  ].join("\n");
}
