/**
 * @plexus/anp/internal — for Plexus's own packages; no compatibility promise. Holds the registry's wire internals:
 * registry events (make, encode, decode, parse), signed requests and challenges, heartbeats and their bucket, the
 * service wire (ops, queue, replies), credential-status queries and registry key rotation and lineage; the registry
 * node, the SDK, the CLI and bench use them.
 */
export { RegistryEventType, makeEvent, encodeEvent, decodeEvent, parseEvent } from "./events.js";
export type { RegistryEvent, EventData, ParsedEvent, TrustAnchorChange } from "./events.js";
export { issueChallenge, DEFAULT_CHALLENGE_TTL_MS } from "./challenge.js";
export { signRequest, checkRequest } from "./request.js";
export type { Rotation, RequestBodies, SignedRequest, TopicSubscribeBody, TopicDurableGrant } from "./request.js";
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
export { parseCredentialStatusQuery } from "./credential-status.js";
export type { CredentialStatusQuery } from "./credential-status.js";
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
