export { ErrorCode, PlexusError, isPlexusError } from "./errors.js";
export type { PlexusErrorOptions } from "./errors.js";
export { ERROR_SPECS, ExitCode, JSON_RPC_CODE_OF_EXIT, errorSpec, exitCodeFor, httpStatusFor, isErrorCode, isRetryable, jsonRpcCodeFor } from "./error-spec.js";
export type { ErrorSpec } from "./error-spec.js";
export { INTERNAL_MESSAGE, toWireError, wireError } from "./wire-error.js";
export type { WireError } from "./wire-error.js";
export { newId, isId, idTime } from "./ids.js";
export { randomConsumerName, orderedConsumerPrefix } from "./consumer-names.js";
export { canonicalJson, canonicalBytes } from "./canonical.js";
export { MessageKind, meshSubjects, agentToken, didOfToken, assertMeshId, assertTopic, assertName } from "./subjects.js";
export type { MeshSubjects, ParsedSubject } from "./subjects.js";
export { ENVELOPE_VERSION, MessageType, RejectionReason } from "./envelope.js";
export type { Envelope, UnsignedEnvelope, ReceiptBody, ReceiptFailure, SeqRange, RejectionRecord, DeadLetterRecord } from "./envelope.js";
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
export { DEFAULT_JSON_LIMITS, checkValueLimits, scanJsonText } from "./json-limits.js";
export type { JsonLimits, LimitViolation } from "./json-limits.js";
export { JsonRefusal, parseJson, parseJsonObject } from "./untrusted-json.js";
export type { ParsedJson, ParseJsonOptions } from "./untrusted-json.js";
