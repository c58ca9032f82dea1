import type { RegistryState } from "../projection/index.js";

/**
 * The agents EigenTrust pre-trusts at query time `at`, all read from the log so every node agrees:
 * - the registry's own keys (the operator's key, and keys it rotated to) when they are members;
 * - agent anchors added with `TrustAnchorAdded` (`plexus trust add`, `--trust-anchor`);
 * - by policy, members holding a live capability credential (not revoked, not expired at `at`) from an issuer anchor
 *   (`plexus trust add --role issuer`) that is not suspended and has not rotated its key away (a key rotated away may
 *   be in other hands; the operator anchors the new one).
 * Only present members that are not suspended count. The set is built in a fixed order (it does not matter to
 * EigenTrust, whose pre-trust is uniform over it, but keeps equal inputs giving equal sets).
 */
export function trustAnchorSet(state: RegistryState, at: number): Set<string> {
  const anchors = new Set<string>();
  const add = (did: string): void => {
    const r = state.agents.get(did);
    if (r?.present && !state.identity.suspended.has(did)) anchors.add(did);
  };
  for (const did of state.identity.registryKeys) if (!state.identity.isRetiredRegistry(did)) add(did);
  for (const did of state.trust.agents()) add(did);
  const issuers = new Set<string>();
  for (const did of state.trust.issuers())
    if (!state.identity.suspended.has(did) && !state.identity.rotatedTo.has(did)) issuers.add(did);
  if (issuers.size > 0) {
    for (const r of state.agents.values()) {
      if (!anchors.has(r.did) && state.credentials.live(r.did, at).some((a) => issuers.has(a.issuer))) add(r.did);
    }
  }
  return anchors;
}
