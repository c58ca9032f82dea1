/** The mesh's trust anchors as queries answer them: the log's record of each, and whether it is a member now. */
import type { TrustAnchorView } from "@plexus/anp";
import type { RegistryState } from "../projection/index.js";

export function trustAnchorViews(state: RegistryState): TrustAnchorView[] {
  const views: TrustAnchorView[] = [];
  for (const e of state.trust.entries()) {
    const member = state.agents.get(e.did)?.present === true;
    views.push({
      did: e.did,
      role: e.role,
      by: e.by,
      at: e.at,
      seq: e.seq,
      ...(e.reason ? { reason: e.reason } : {}),
      member,
    });
  }
  return views;
}
