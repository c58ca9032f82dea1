import type { AgentCard } from "./card.js";
import type { TrustAnchorRole } from "./request.js";

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
  /** The agent is a trust anchor: pre-trusted by the operator (an anchor event in the log, or an operator key). */
  anchor: boolean;
  /** Where its trust comes from: it is an anchor, ratings by trusted raters, or nowhere (trust 0). */
  trustSource: "anchor" | "ratings" | "none";
  /**
   * The mesh has no trust anchor among its members: nobody is trusted, so no rating or observation by an agent moves
   * any score; scores are the neutral prior plus what the registry observed itself. Add one: `plexus trust add`.
   */
  unanchored: boolean;
}

export interface CredentialStatus {
  /** revoked: the registry revoked the membership credential (the agent is off discovery until it joins again). */
  status: "valid" | "expired" | "revoked";
  id: string;
  expiresAt: number;
}

/** A live capability credential (VC-JWT) by `issuer` that attests a capability of the agent. */
export interface CapabilityAttestation {
  issuer: string;
  credentialId: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * One capability of an agent's card and who vouches for it: `attested` false means self-declared only (the card
 * says so); true means at least one live (unexpired, unrevoked) capability credential attests it, by `attestedBy`.
 */
export interface CapabilityClaim {
  name: string;
  attested: boolean;
  attestedBy: CapabilityAttestation[];
}

export interface AgentView {
  did: string;
  name: string;
  description: string;
  version: string;
  capabilities: string[];
  tags: string[];
  card: AgentCard;
  /** False once it left (AgentLeft): its liveness is then "gone", since `leftAt`. */
  present: boolean;
  liveness: Liveness;
  livenessSince: number;
  lastHeartbeat: number | null;
  joinedAt: number;
  /** When it left, for an agent that left. */
  leftAt?: number;
  credential: CredentialStatus;
  /** The card's capabilities, each self-declared or attested (and by whom). */
  claims: CapabilityClaim[];
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
  /**
   * Only agents whose matched capability (`capability`, else any of theirs) is attested by a live capability
   * credential; with `issuer`, attested by that DID.
   */
  verifiedOnly?: boolean;
  /** The attester required (implies verifiedOnly). */
  issuer?: string;
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
  /** Why the score is what it is: the agent's trust, its source and whether the mesh has any anchor (see Reputation). */
  trust: number;
  trustSource: "anchor" | "ratings" | "none";
  unanchored: boolean;
  /** True for a newcomer placed in one of the bounded exploration slots. */
  exploration: boolean;
  liveness: Liveness;
  lastHeartbeat: number | null;
  credential: CredentialStatus;
  /** The card's capabilities, each self-declared or attested (and by whom). */
  claims: CapabilityClaim[];
}

/** A trust anchor as the log records it (TrustAnchorAdded), and whether it is a member of the mesh now. */
export interface TrustAnchorView {
  did: string;
  role: TrustAnchorRole;
  /** Who added it: an operator DID, or the registry's own for an anchor configured at start. */
  by: string;
  at: number;
  /** Mesh stream sequence of the TrustAnchorAdded event. */
  seq: number;
  reason?: string;
  /** True while `did` is a present member of the mesh (an anchor need not be: it may join later). */
  member: boolean;
}

/** What the registry answers to a `trust` request. `seq` is the event's (an add of an existing anchor: the earlier one's). */
export interface TrustResult {
  did: string;
  role: TrustAnchorRole;
  /** True after an add, false after a remove. */
  anchored: boolean;
  seq: number;
}

/** The log position and clock a query answer was computed at; equal asOf, equal answers. */
export interface AsOf {
  seq: number;
  at: number;
}

/** What the registry answers to an accepted `attest` request: the verified claims and the event's log position. */
export interface AttestResult {
  seq: number;
  id: string;
  issuer: string;
  subject: string;
  capabilities: string[];
  issuedAt: number;
  expiresAt: number;
}

/** What the registry answers to a `revoke` request. */
export interface RevokeResult {
  seq: number;
  credentialId: string;
  issuer: string;
  /** False when the credential was already revoked (nothing appended; `seq` is the earlier revocation's). */
  revoked: boolean;
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
  /** In operator mode: a fresh NATS user JWT bound to the agent's key (as the `connect` operation gives). */
  natsJwt?: string;
  natsJwtExpiresAt?: number;
}
