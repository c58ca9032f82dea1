/**
 * @plexus/sdk — what an agent author imports (layer: protocols; imports packages, acp, anp): `Agent` (send, listen,
 * publish, subscribe, request/reply, join, discover, rate, credentials, key rotation), keys, credentials, and audit
 * proof checks. It combines acp and anp, and a2a and mcp are built on it, so it sits in protocols/ (README.md). Its
 * whole API is public.
 */
export { Agent } from "./agent.js";
export type { SendOptions, SendResult, ListenOptions, SubscribeOptions, RequestOptions } from "./agent.js";
export type { AgentOptions } from "./options.js";
export { NatsSession } from "./nats-session.js";
export type { AgentNatsAuth, NatsSessionOptions } from "./nats-session.js";
export { listRejected, listDeadLetters } from "./ops.js";
export type { OpsOptions } from "./ops.js";
export type {
  Delivery,
  Handler,
  Receipt,
  ReceiptStatus,
  ReaderCounts,
  Subscription,
  Listed,
  OrderInfo,
  OrderStatus,
} from "@plexus/acp";
export { KeyStore, generateKeyPair, keyPairFromSeed, defaultKeysDir } from "@plexus/identity";
export {
  issueCapabilityCredential,
  verifyCapabilityCredential,
  verifyPlexusCredential,
  CredentialRejection,
} from "@plexus/identity";
export type { CapabilityClaims, IssueCapabilityOptions, AnyCredential, PlexusVerifyOptions } from "@plexus/identity";
export type { KeyPair } from "@plexus/identity";
export { PlexusError, ErrorCode, isPlexusError } from "@plexus/core";
export type { JoinOptions } from "./membership.js";
export { RegistryClient } from "./registry-types.js";
export type {
  AgentCard,
  Capability,
  DiscoverQuery,
  DiscoverResult,
  JoinResult,
  Rating,
  Reputation,
  AgentView,
  Liveness,
  Factor,
  FactorScore,
  AnswerOf,
} from "./registry-types.js";
export type {
  AttestResult,
  RevokeResult,
  CapabilityClaim,
  CapabilityAttestation,
  TrustAnchorView,
  TrustResult,
  TrustAnchorRole,
} from "./registry-types.js";
export type { CredentialStatusView, CredentialRevocationView } from "./registry-types.js";
export { A2AOutbound, A2A_OUTBOUND_TOPIC, A2AOutboundType } from "./a2a.js";
export type { A2AOutgoing, A2ASendOptions, A2AExchange, A2ARecorder } from "./a2a.js";
// Proving to a third party that a message was sealed into the mesh's audit log (SendResult.streamSeq is its
// position): an inclusion proof from the live audit streams, checked by anyone offline with checkProof.
export {
  proveInclusion,
  proveConsistency,
  checkProof,
  defaultOrigin,
  openJetStreamAuditStore,
  INCLUSION_FORMAT,
  CONSISTENCY_FORMAT,
} from "@plexus/audit";
export type {
  InclusionProofFile,
  ConsistencyProofFile,
  ProofFile,
  ProofCheck,
  ProofFailure,
  CheckProofOptions,
  ProofSource,
} from "@plexus/audit";
