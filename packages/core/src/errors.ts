/**
 * Errors with a stable `name` and `code`. Callers branch on `code`, never on message text.
 * The code table is the single list of local error kinds; transports (CLI, HTTP, JSON-RPC) map from it.
 */
export const ErrorCode = {
  InvalidArgument: "INVALID_ARGUMENT",
  InvalidDid: "INVALID_DID",
  KeyNotFound: "KEY_NOT_FOUND",
  KeyExists: "KEY_EXISTS",
  KeyFileInvalid: "KEY_FILE_INVALID",
  EnvelopeInvalid: "ENVELOPE_INVALID",
  EnvelopeTooLarge: "ENVELOPE_TOO_LARGE",
  SignatureInvalid: "SIGNATURE_INVALID",
  NatsUnavailable: "NATS_UNAVAILABLE",
  NatsServerNotFound: "NATS_SERVER_NOT_FOUND",
  NatsServerFailed: "NATS_SERVER_FAILED",
  PublishFailed: "PUBLISH_FAILED",
  Timeout: "TIMEOUT",
  Closed: "CLOSED",
  ConfigInvalid: "CONFIG_INVALID",
  AuditFork: "AUDIT_FORK",
  AuditConflict: "AUDIT_CONFLICT",
  AuditStoreFailed: "AUDIT_STORE_FAILED",
  MeshNotFound: "MESH_NOT_FOUND",
  RequestRefused: "REQUEST_REFUSED",
  AgentNotFound: "AGENT_NOT_FOUND",
  RegistryUnavailable: "REGISTRY_UNAVAILABLE",
  NotReady: "NOT_READY",
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
    return { name: this.name, code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isPlexusError(err: unknown, code?: ErrorCode): err is PlexusError {
  return err instanceof PlexusError && (code === undefined || err.code === code);
}
