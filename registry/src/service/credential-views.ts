/**
 * What queries say about an agent's credentials: its membership credential's status (valid, expired, revoked) and
 * its capabilities, each self-declared or attested by live capability credentials. All evaluated at the query's
 * time `at` (the clock step of asOf), so two nodes with the same asOf answer alike.
 */
import type { CapabilityClaim, CredentialStatus, DiscoverQuery } from "@plexus/anp";
import type { RegistryState } from "../projection/index.js";
import type { AgentRecord } from "../types.js";

/** A suspended agent's credentials do not count while it is suspended (the kill switch revokes them at once). */
function suspended(state: RegistryState, r: AgentRecord): boolean {
  return state.identity.suspended.has(r.did);
}

export function credentialStatus(state: RegistryState, r: AgentRecord, at: number): CredentialStatus {
  const revoked = state.credentials.membershipRevoked(r.did) || suspended(state, r);
  const status = revoked ? "revoked" : r.credential.expiresAt > at ? "valid" : "expired";
  return { status, id: r.credential.id, expiresAt: r.credential.expiresAt };
}

export function capabilityClaims(state: RegistryState, r: AgentRecord, at: number): CapabilityClaim[] {
  const claims = state.credentials.claims(r.did, capabilityNames(r), at);
  return suspended(state, r) ? claims.map((c) => ({ ...c, attested: false, attestedBy: [] })) : claims;
}

function capabilityNames(r: AgentRecord): string[] {
  return r.card.capabilities.map((c) => c.name);
}

/**
 * Whether discovery may list the agent for `query`: never while its membership credential is revoked (until it joins
 * again); with verifiedOnly (or issuer), only when a live credential (by that issuer) attests the matched capability.
 */
export function listable(state: RegistryState, r: AgentRecord, query: DiscoverQuery, at: number): boolean {
  if (state.credentials.membershipRevoked(r.did) || suspended(state, r)) return false;
  if (query.verifiedOnly !== true && query.issuer === undefined) return true;
  return state.credentials.attests(r.did, capabilityNames(r), at, query.capability, query.issuer);
}
