import { ErrorCode, isErrorCode, parseJson, PlexusError } from "@plexus/core";

/**
 * Registry service operations over NATS request/reply, on `plexus-registry.<mesh>.<op>` (outside the mesh
 * stream). Every registry node of a mesh answers in one queue group, so they share the load. Replies are
 * `{ ok: true, result }` or `{ ok: false, error: { code, message, details } }`.
 */
export const RegistryOp = {
  Challenge: "challenge",
  Join: "join",
  Update: "update",
  Leave: "leave",
  Rate: "rate",
  Attest: "attest",
  Revoke: "revoke",
  Suspend: "suspend",
  Resume: "resume",
  Rotate: "rotate",
  Connect: "connect",
  Subscribe: "subscribe",
  Trust: "trust",
  Agents: "agents",
  Agent: "agent",
  Discover: "discover",
  Reputation: "reputation",
  Status: "status",
  TrustAnchors: "trust-anchors",
  CredentialStatus: "credential-status",
} as const;
export type RegistryOp = (typeof RegistryOp)[keyof typeof RegistryOp];

export const REGISTRY_QUEUE = "plexus-registry";

export type ServiceReply<T> =
  | { ok: true; result: T }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

const encoder = new TextEncoder();

export function encodeReply<T>(reply: ServiceReply<T>): Uint8Array {
  return encoder.encode(JSON.stringify(reply));
}

export function errorReply(err: unknown): ServiceReply<never> {
  if (err instanceof PlexusError) {
    return {
      ok: false,
      error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    };
  }
  return { ok: false, error: { code: ErrorCode.Internal, message: err instanceof Error ? err.message : String(err) } };
}

/** Turns a reply back into its result, or throws the PlexusError it carries. */
export function unwrapReply<T>(bytes: Uint8Array): T {
  const read = parseJson(bytes);
  const reply = read.ok ? (read.value as ServiceReply<T> | null) : null;
  if (typeof reply !== "object" || reply === null || (!reply.ok && typeof reply.error !== "object")) {
    throw new PlexusError(
      ErrorCode.RegistryUnavailable,
      "the registry answered with something that is not a registry reply",
    );
  }
  if (reply.ok) return reply.result;
  const code = isErrorCode(reply.error.code) ? reply.error.code : ErrorCode.RegistryUnavailable;
  throw new PlexusError(code, reply.error.message, reply.error.details ? { details: reply.error.details } : {});
}
