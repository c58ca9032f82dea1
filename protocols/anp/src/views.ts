import type { AgentCard } from "./card.js";

/** What registry queries answer, over NATS and HTTP alike. */
export const LIVENESS_STATES = ["alive", "suspect", "offline", "gone"] as const;
export type Liveness = (typeof LIVENESS_STATES)[number];

export const FACTORS = ["reliability", "quality", "responsiveness", "honesty", "cooperativeness"] as const;
export type Factor = (typeof FACTORS)[number];

export interface FactorScore {
  /** 0..1; 0.5 is the neutral prior an agent starts from and decays back to. */
  value: number;
  /** How many observations and ratings stand behind the value (raw count, before weighting and decay). */
  evidence: number;
  /** The decayed, trust-weighted evidence mass behind the value. */
  weight: number;
}

export interface Reputation {
  did: string;
  /** 0..1, the weighted mean of the factors. */
  score: number;
  factors: Record<Factor, FactorScore>;
  /** EigenTrust global trust of the agent, scaled so that the most trusted agent has 1. */
  trust: number;
  /** True while the trusted evidence behind the agent is below the newcomer threshold. */
  newcomer: boolean;
}

export interface CredentialStatus {
  status: "valid" | "expired";
  id: string;
  expiresAt: number;
}

export interface AgentView {
  did: string;
  name: string;
  description: string;
  version: string;
  capabilities: string[];
  tags: string[];
  card: AgentCard;
  present: boolean;
  liveness: Liveness;
  livenessSince: number;
  lastHeartbeat: number | null;
  joinedAt: number;
  credential: CredentialStatus;
  /** Set while an operator has the agent suspended (kill switch). */
  suspended?: { by: string; at: number; reason: string };
  /** The DIDs this agent had before its key rotations, oldest first. */
  previousDids?: string[];
}

export interface DiscoverQuery {
  capability?: string;
  q?: string;
  tag?: string;
  minScore?: number;
  includeOffline?: boolean;
  limit?: number;
}

export interface DiscoverResult {
  did: string;
  name: string;
  description: string;
  capabilities: string[];
  tags: string[];
  score: number;
  relevance: number;
  /** relevance × score × liveness weight: what the list is sorted by. */
  rank: number;
  factors: Record<Factor, FactorScore>;
  newcomer: boolean;
  /** True for a newcomer placed in one of the bounded exploration slots. */
  exploration: boolean;
  liveness: Liveness;
  lastHeartbeat: number | null;
  credential: CredentialStatus;
}

/** The log position and clock a query answer was computed at; equal asOf, equal answers. */
export interface AsOf {
  seq: number;
  at: number;
}

export interface JoinResult {
  did: string;
  /** Membership credential: a VC-JWT signed by the registry's DID. */
  credential: string;
  credentialId: string;
  expiresAt: number;
  registry: string;
  heartbeat: { key: string; intervalMs: number; bucket: string };
  seq: number;
}
