/**
 * @plexus/anp — the registry protocol (layer: protocols; imports packages): agent cards, challenges, signed
 * requests, registry events, heartbeats, key rotation, and the registry client.
 */
export { checkCard } from "./card.js";
export type { AgentCard, Capability } from "./card.js";
export { RegistryEventType, makeEvent, encodeEvent, decodeEvent, parseEvent } from "./events.js";
export type { RegistryEvent, EventData, ParsedEvent, TrustAnchorChange } from "./events.js";
export { issueChallenge, DEFAULT_CHALLENGE_TTL_MS } from "./challenge.js";
export { RefusalReason, signRequest, checkRequest, TRUST_ANCHOR_ROLES } from "./request.js";
export type {
  Rating,
  Rotation,
  RequestBodies,
  SignedRequest,
  TopicSubscribeBody,
  TopicDurableGrant,
  TrustAnchorRole,
} from "./request.js";
export {
  heartbeatSecret,
  beatKeyFor,
  makeBeat,
  checkBeat,
  checkBeatWith,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  MAX_BEAT_SKEW_MS,
} from "./heartbeat.js";
export type { Beat } from "./heartbeat.js";
export { openHeartbeatBucket, heartbeatKey } from "./heartbeat-bucket.js";
export { Heartbeater } from "./heartbeater.js";
export { RegistryOp, REGISTRY_QUEUE, encodeReply, errorReply } from "./service-wire.js";
export { RegistryClient } from "./client.js";
export { parseCredentialStatusQuery } from "./credential-status.js";
export type { CredentialStatusQuery, CredentialStatusView, CredentialRevocationView } from "./credential-status.js";
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
export { makeRotation, rotationProblem, rotationProofProblem, REGISTRY_ROTATION_NONCE } from "./rotation.js";
export {
  readRegistryRotations,
  checkedRotation,
  registryPredecessors,
  registrySuccessors,
  registryHeartbeatSecret,
  makeRegistryRotation,
} from "./registry-lineage.js";
export type { RotationEvent } from "./registry-lineage.js";
