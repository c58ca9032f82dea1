/**
 * @plexus/core — the wire vocabulary every other package shares (layer: packages, the bottom; depends on
 * nothing of ours, no I/O): the envelope and record types, JSON Schema validators, canonical JSON (RFC 8785), ULIDs,
 * subject names (subjects.ts), limits and defaults, and the one ErrorCode table with PlexusError.
 */
export { ErrorCode, PlexusError, isPlexusError } from "./errors.js";
export {
  ERROR_SPECS,
  ExitCode,
  errorSpec,
  exitCodeFor,
  httpStatusFor,
  isErrorCode,
  isRetryable,
  jsonRpcCodeFor,
} from "./error-spec.js";
export type { ErrorSpec } from "./error-spec.js";
export { toWireError, wireError } from "./wire-error.js";
export type { WireError } from "./wire-error.js";
export { newId } from "./ids.js";
export { canonicalJson, canonicalBytes } from "./canonical.js";
export {
  MessageKind,
  meshSubjects,
  agentToken,
  didOfToken,
  assertMeshId,
  assertTopic,
  assertName,
} from "./subjects.js";
export type { MeshSubjects } from "./subjects.js";
export { ENVELOPE_VERSION, MessageType, RejectionReason } from "./envelope.js";
export type {
  Envelope,
  UnsignedEnvelope,
  ReceiptBody,
  ReceiptFailure,
  SeqRange,
  RejectionRecord,
  DeadLetterRecord,
} from "./envelope.js";
export {
  validateEnvelope,
  validateReceiptBody,
  validateRejectionRecord,
  validateDeadLetterRecord,
  validateAgentCard,
  validateRegistryEvent,
  validateRegistryRequest,
  validateRating,
  isJsonSchema,
} from "./schema.js";
export type { Validator } from "./schema.js";
export { Defaults } from "./limits.js";
export { checkValueLimits } from "./json-limits.js";
export { parseJson } from "./untrusted-json.js";
