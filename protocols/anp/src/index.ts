/**
 * @plexus/anp — the registry protocol (layer: protocols; imports packages): agent cards, challenges, signed
 * requests, registry events, heartbeats, key rotation, and the registry client.
 */
export { checkCard } from "./card.js";
export type { AgentCard, Capability } from "./card.js";
export { RefusalReason, TRUST_ANCHOR_ROLES } from "./request.js";
export type { Rating, TrustAnchorRole } from "./request.js";
export { RegistryClient } from "./client.js";
export type { CredentialStatusView, CredentialRevocationView } from "./credential-status.js";
export type { Answer } from "./client.js";
export { LIVENESS_STATES, FACTORS } from "./views.js";
export type {
  Liveness,
  Factor,
  FactorScore,
  Reputation,
  CredentialStatus,
  CapabilityAttestation,
  CapabilityClaim,
  AttestResult,
  RevokeResult,
  AgentView,
  DiscoverQuery,
  DiscoverResult,
  AsOf,
  JoinResult,
  TrustAnchorView,
  TrustResult,
} from "./views.js";
export { RotationWatch } from "./rotation-watch.js";
export type { RotationSource } from "./rotation-watch.js";
