/**
 * Errors with a stable `name` and `code`. Callers branch on `code`, never on message text.
 * The code table is the single list of error kinds; what each means on a transport (exit code, HTTP status, JSON-RPC
 * code, retryable) is its spec in error-spec.ts, which the compiler holds to one entry per code.
 */
export const ErrorCode = {
  /** Anything that is not a PlexusError: a bug or an unexpected failure. Its message is not shown to remote callers. */
  Internal: "INTERNAL",
  /** A command that failed for the reason its message gives (the CLI's own failures that name no other code). */
  Failed: "FAILED",
  /** Wrong flags or arguments on the command line (the CLI's usage errors). */
  Usage: "USAGE",
  /** No such endpoint (HTTP). */
  NotFound: "NOT_FOUND",
  /** An endpoint that exists, asked with another HTTP method. */
  MethodNotAllowed: "METHOD_NOT_ALLOWED",
  InvalidArgument: "INVALID_ARGUMENT",
  InvalidDid: "INVALID_DID",
  KeyNotFound: "KEY_NOT_FOUND",
  KeyExists: "KEY_EXISTS",
  KeyFileInvalid: "KEY_FILE_INVALID",
  EnvelopeInvalid: "ENVELOPE_INVALID",
  EnvelopeTooLarge: "ENVELOPE_TOO_LARGE",
  /** A value past the JSON shape limits (depth, members, items, string length): `details.limit` names which. */
  LimitExceeded: "LIMIT_EXCEEDED",
  SignatureInvalid: "SIGNATURE_INVALID",
  NatsUnavailable: "NATS_UNAVAILABLE",
  /**
   * NATS answers but JetStream does not: no leader for the stream or bucket, or no meta leader (a cluster that lost
   * its quorum, a server restarting). Not the same as NATS being down, nor as JetStream being off.
   */
  JetStreamUnavailable: "JETSTREAM_UNAVAILABLE",
  NatsServerNotFound: "NATS_SERVER_NOT_FOUND",
  NatsServerFailed: "NATS_SERVER_FAILED",
  PublishFailed: "PUBLISH_FAILED",
  Timeout: "TIMEOUT",
  Closed: "CLOSED",
  ConfigInvalid: "CONFIG_INVALID",
  AuditFork: "AUDIT_FORK",
  AuditConflict: "AUDIT_CONFLICT",
  AuditStoreFailed: "AUDIT_STORE_FAILED",
  /** A running sealer that makes no progress, or falls further behind the mesh log than it can catch up (details.reason). */
  AuditSealerStalled: "AUDIT_SEALER_STALLED",
  /** The audit chain does not hold (`audit verify` found a bad position) or a witness saw a rollback or fork. */
  AuditTampered: "AUDIT_TAMPERED",
  /** An inclusion or consistency proof that holds, but whose checkpoint signer nobody pinned (`audit check-proof`). */
  ProofNotPinned: "PROOF_NOT_PINNED",
  MeshNotFound: "MESH_NOT_FOUND",
  RequestRefused: "REQUEST_REFUSED",
  AgentNotFound: "AGENT_NOT_FOUND",
  RegistryUnavailable: "REGISTRY_UNAVAILABLE",
  NotReady: "NOT_READY",
  /** Shamir custody (@plexus/custody): k < 2, k > n or n > 255. */
  SplitInvalid: "SPLIT_INVALID",
  /** A key share that is unparsable or whose integrity tag does not match (a flipped bit, an edit). */
  ShareInvalid: "SHARE_INVALID",
  /** Two shares with the same index or the same bytes (or one custodian giving two). */
  ShareDuplicate: "SHARE_DUPLICATE",
  /** Shares of different splits (another split of the same key, or of another key). */
  ShareSplitMismatch: "SHARE_SPLIT_MISMATCH",
  /** Fewer shares than the split's threshold. */
  SharesInsufficient: "SHARES_INSUFFICIENT",
  /** The combined secret is not the committed key (or a share names another key than expected): refused. */
  ShareCommitmentMismatch: "SHARE_COMMITMENT_MISMATCH",
  /** A sealed registry node: nothing but status and unseal until k shares restore its key. */
  Sealed: "SEALED",
  /** An unseal request not signed by one of the node's custodians. */
  UnsealUnauthorized: "UNSEAL_UNAUTHORIZED",
  /** An unseal request whose nonce is unknown, expired or already used (a replay). */
  UnsealNonceInvalid: "UNSEAL_NONCE_INVALID",
  /** A verifiable credential that does not verify; `details.reason` says why (CredentialRejection in @plexus/identity). */
  CredentialInvalid: "CREDENTIAL_INVALID",
  /** A history stream (mesh log, audit chain, checkpoints) whose settings would let history be lost (limits, deny_delete off, …). */
  HistoryStreamWeakened: "HISTORY_STREAM_WEAKENED",
  /** A history stream that no longer holds all it stored: its first message is gone, or messages were deleted. */
  HistoryStreamTruncated: "HISTORY_STREAM_TRUNCATED",
  /** A history stream whose creation time is not the one this node remembered: deleted and created again. */
  HistoryStreamRecreated: "HISTORY_STREAM_RECREATED",
  /** A history stream a node had seen is gone. */
  HistoryStreamMissing: "HISTORY_STREAM_MISSING",
  /** Another running process already uses this agent key on this mesh (two would fork its message chains). */
  KeyInUse: "KEY_IN_USE",
  /** More replicas asked for a mesh's streams than the JetStream cluster has servers (or a single server). */
  ReplicasUnavailable: "REPLICAS_UNAVAILABLE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface PlexusErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class PlexusError extends Error {
  override readonly name: string = "PlexusError";
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PlexusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  toJSON(): { name: string; code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isPlexusError(err: unknown, code?: ErrorCode): err is PlexusError {
  return err instanceof PlexusError && (code === undefined || err.code === code);
}
