/**
 * The `credential-status` answer: the mesh's registry keys (current and retired) and what the log records about one
 * credential (issuer + id): whether it was attested or handed out at a join and who holds it now, whether it was
 * revoked, whether the agent holding it as its membership credential is suspended (which the registry counts as
 * revoked meanwhile), and whether its issuer's key was rotated away.
 */
import type { CredentialStatusView } from "@plexus/anp";
import type { CredentialStatusQuery } from "@plexus/anp/internal";
import type { RegistryState } from "../projection/index.js";

export function credentialStatusView(state: RegistryState, query: CredentialStatusQuery): CredentialStatusView {
  const { id, issuer } = query;
  const { identity, credentials } = state;
  const registryKeys = [...identity.registryKeys].filter((did) => !identity.isRetiredRegistry(did));
  const retiredRegistryKeys = [...identity.retiredRegistryKeys].map(([did, seq]) => ({ did, seq }));
  // Ids are chosen by issuers: only this issuer's credential with this id is the one asked about.
  const found = credentials.find(id);
  const attestations = found.attestations.filter((a) => a.issuer === issuer);
  const memberships = found.memberships.filter((m) => m.ref.issuer === issuer);
  const recordedAs: CredentialStatusView["recordedAs"] = [];
  if (attestations.length > 0) recordedAs.push("attestation");
  if (memberships.length > 0) recordedAs.push("membership");
  const holders = [...new Set([...attestations.map((a) => a.subject), ...memberships.map((m) => m.did)])];
  const r = credentials.revocation(issuer, id);
  const holder = memberships.find((m) => identity.suspended.has(m.did));
  const suspension = holder ? identity.suspended.get(holder.did) : undefined;
  return {
    id,
    issuer,
    registryKeys,
    retiredRegistryKeys,
    known: recordedAs.length > 0,
    recordedAs,
    holders,
    ...(identity.rotatedTo.has(issuer) ? { issuerRotatedTo: identity.current(issuer) } : {}),
    revoked: r !== undefined,
    ...(r ? { revocation: { revokedBy: r.revokedBy, reason: r.reason, at: r.at, seq: r.seq } } : {}),
    ...(holder && suspension
      ? {
          suspended: {
            agent: holder.did,
            by: suspension.by,
            at: suspension.at,
            reason: suspension.reason,
            seq: suspension.seq,
          },
        }
      : {}),
  };
}
