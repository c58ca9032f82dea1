import type {
  AgentView,
  Answer,
  CredentialStatusView,
  DiscoverQuery,
  DiscoverResult,
  Reputation,
  TrustAnchorView,
} from "@plexus/anp";
import type { CredentialStatusQuery } from "@plexus/anp/internal";
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
  /** What the log says about one credential (revoked or not), and the mesh's registry keys. */
  credentialStatus(query: CredentialStatusQuery): Answer<CredentialStatusView>;
  status(): RegistryStatus;
}

export interface RegistryStatus {
  mesh: string;
  /** This node's key. */
  registry: string;
  /** The registry keys whose events count now (this node's and those it trusts, not rotated away). */
  registryKeys: string[];
  /** Caught up with the log as it stood at start, and connected. */
  ready: boolean;
  connected: boolean;
  seq: number;
  agents: { total: number; present: number; alive: number; suspect: number; offline: number; gone: number };
  counters: Record<string, number>;
  /** Reputation evidence the registry checked, summed from `counters` (see evidenceSummary). */
  evidence: EvidenceSummary;
  startedAt: number;
  rebuild: { fromSnapshot: boolean; snapshotSeq: number; events: number; ms: number };
  /**
   * Why the node refused the mesh log and is not ready (a HISTORY_STREAM_* code, the stream, the reason); absent while
   * it trusts the log.
   */
  refused?: { code: string; stream: string; reason: string };
  /**
   * How far the node's state is behind the mesh log's end (events, seconds, the end as last read, the position
   * applied); /readyz is not ready while it is more than the node's `maxLagEvents`/`maxLagSeconds` behind.
   */
  lag?: { events: number; seconds: number; end: number; applied: number; endReadSeconds?: number };
  /** Other parts of the process (RegistryNodeOptions.components), e.g. the audit sealer; `ready` is false when one is not. */
  components?: Record<string, { ready: boolean }>;
}

/**
 * What became of the reputation evidence the node read (registry/README.md, "Evidence that proves itself"): `refused`
 * pieces (receipts, rejection records, dead letters that failed the registry's own checks) by `<what>.<why>`, and the
 * messages that failed a reader's checks by reason. None of these changed a score.
 */
export interface EvidenceSummary {
  refused: number;
  refusedBy: Record<string, number>;
  refusedMessages: Record<string, number>;
  /** Rejection records the registry confirmed (they add nothing: it had counted the message itself). */
  confirmedRejections: number;
  /** Failed messages whose publisher could not be proven (open server): counted against nobody. */
  unattributed: number;
  /** Receipts for messages their signer had not asked for: no honesty evidence for the sender. */
  unsolicitedReceipts: number;
}

export function evidenceSummary(counters: Readonly<Record<string, number>>): EvidenceSummary {
  const summary: EvidenceSummary = {
    refused: 0,
    refusedBy: {},
    refusedMessages: {},
    confirmedRejections: 0,
    unattributed: 0,
    unsolicitedReceipts: 0,
  };
  for (const [name, n] of Object.entries(counters)) {
    if (name.startsWith("evidence.refused.")) {
      summary.refused += n;
      summary.refusedBy[name.slice("evidence.refused.".length)] = n;
    } else if (name.startsWith("evidence.refusedMessages."))
      summary.refusedMessages[name.slice("evidence.refusedMessages.".length)] = n;
  }
  summary.confirmedRejections = counters["evidence.rejections.confirmed"] ?? 0;
  summary.unattributed = counters["evidence.unattributed"] ?? 0;
  summary.unsolicitedReceipts = counters["evidence.unsolicited.receipt"] ?? 0;
  return summary;
}
