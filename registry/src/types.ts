/**
 * The registry's read model. Everything here is derived from the mesh's event log; nothing is stored anywhere
 * else (heartbeat timestamps come from the heartbeat KV bucket). Wire views live in @plexus/anp.
 */
import type { AgentCard, Liveness } from "@plexus/anp";

export interface CredentialInfo {
  id: string;
  issuedAt: number;
  expiresAt: number;
}

/** One agent as the registry knows it. `present` is false once it left (its record stays, for reputation). */
export interface AgentRecord {
  did: string;
  card: AgentCard;
  /** The latest join (a rejoin, such as a credential renewal, moves it). */
  joinedAt: number;
  /** The first join ever (time). */
  firstJoinedAt: number;
  /**
   * Mesh stream sequence of the first join ever: seniority, the tie-break of equal ranks in discovery (a new key starts
   * behind). A log position, not a node's clock, so no node's clock skew can reorder it.
   */
  firstJoinSeq: number;
  updatedAt: number;
  leftAt: number | undefined;
  present: boolean;
  liveness: Liveness;
  livenessSince: number;
  /** Mesh stream sequence of the AgentJoined event that admitted it (the latest join). */
  joinSeq: number;
  credential: CredentialInfo;
}
