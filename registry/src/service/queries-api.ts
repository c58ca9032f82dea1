import type { AgentView, Answer, DiscoverQuery, DiscoverResult, Reputation, TrustAnchorView } from "@plexus/anp";
import type { AgentsQuery } from "./discover-query.js";

/** What one registry node answers; the NATS responder and the HTTP API are two transports of this. */
export interface RegistryQueryApi {
  /** Present agents in order of first join; `offset`/`limit` page through them (all when no limit). */
  agents(options?: AgentsQuery): Answer<AgentView[]>;
  /** Throws PlexusError(AGENT_NOT_FOUND) for a DID the registry never admitted. */
  agent(did: string): Answer<AgentView>;
  discover(query: DiscoverQuery): Answer<DiscoverResult[]>;
  /** Throws PlexusError(AGENT_NOT_FOUND) for a DID the registry never admitted. */
  reputation(did: string): Answer<Reputation>;
  /** The mesh's trust anchors (EigenTrust's pre-trusted peers) in log order, each with whether it is a member now. */
  trustAnchors(): Answer<TrustAnchorView[]>;
  status(): RegistryStatus;
}

export interface RegistryStatus {
  mesh: string;
  registry: string;
  /** Caught up with the log as it stood at start, and connected. */
  ready: boolean;
  connected: boolean;
  seq: number;
  agents: { total: number; present: number; alive: number; suspect: number; offline: number; gone: number };
  counters: Record<string, number>;
  startedAt: number;
  rebuild: { fromSnapshot: boolean; snapshotSeq: number; events: number; ms: number };
  /**
   * Why the node refused the mesh log and is not ready (a HISTORY_STREAM_* code, the stream, the reason); absent while
   * it trusts the log.
   */
  refused?: { code: string; stream: string; reason: string };
}
