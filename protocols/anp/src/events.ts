import { ErrorCode, PlexusError, canonicalBytes, newId, parseJson, validateRegistryEvent } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";
import type { AgentCard } from "./card.js";
import type { Rating, Rotation, SignedRequest, TrustAnchorRole } from "./request.js";
import { signDocument } from "./signed-document.js";

/**
 * Registry events: the facts registry nodes append to the mesh's log (schemas/registry-event.json).
 * Registry state is a projection of these and of the ACP traffic in the same log.
 */
export const RegistryEventType = {
  AgentJoined: "AgentJoined",
  AgentUpdated: "AgentUpdated",
  AgentLeft: "AgentLeft",
  LivenessChanged: "LivenessChanged",
  RatingRecorded: "RatingRecorded",
  RequestRefused: "RequestRefused",
  CredentialAttested: "CredentialAttested",
  CredentialRevoked: "CredentialRevoked",
  AgentSuspended: "AgentSuspended",
  AgentResumed: "AgentResumed",
  KeyRotated: "KeyRotated",
  RegistryKeyRotated: "RegistryKeyRotated",
  TrustAnchorAdded: "TrustAnchorAdded",
  TrustAnchorRemoved: "TrustAnchorRemoved",
} as const;
export type RegistryEventType = (typeof RegistryEventType)[keyof typeof RegistryEventType];

export type LivenessState = "alive" | "suspect" | "offline" | "gone";

export interface EventData {
  AgentJoined: {
    card: AgentCard;
    /** The nonce of the challenge the agent answered; a challenge admits once. */
    nonce: string;
    credential: { id: string; issuedAt: number; expiresAt: number };
  };
  AgentUpdated: { card: AgentCard };
  AgentLeft: { reason: "leave" };
  LivenessChanged: { from: LivenessState; to: LivenessState; lastHeartbeat: number };
  RatingRecorded: {
    /** The rater's signed `rate` request, kept whole so anyone can check it. */
    request: SignedRequest<Rating>;
    /** Mesh stream sequences of a message rater→ratee and one ratee→rater in the rated conversation. */
    evidence: { fromRater: number; fromRatee: number };
  };
  RequestRefused: { op: string; reason: string; detail: string; claimedDid?: string };
  /** A capability credential (VC-JWT by any issuer DID) about `agent`, verified by the registry before appending. */
  CredentialAttested: {
    credential: string;
    id: string;
    issuer: string;
    capabilities: string[];
    issuedAt: number;
    expiresAt: number;
  };
  /** A credential stops counting from here on: revoked by its issuer, or by the registry (membership, suspension). */
  CredentialRevoked: { credentialId: string; issuer: string; revokedBy: string; reason: string };
  /** The kill switch: `by` is the operator DID that asked (its signed request kept whole). */
  AgentSuspended: { by: string; reason: string; request: SignedRequest };
  AgentResumed: { by: string; reason: string; request: SignedRequest };
  /** `agent` (the old DID) moved to `to`; the request is signed by the old key and carries the new key's proof. */
  KeyRotated: { to: string; request: SignedRequest<Rotation> };
  /** The registry's own key moved: `agent` and `by` are the old registry DID; `proof` is the new key's signature. */
  RegistryKeyRotated: {
    to: string;
    /** The new key's signature over rotationProofBytes(old, new, mesh). */
    proof: string;
    /** The mesh's heartbeat secret sealed to the new key, so agents' heartbeat keys stay valid (identity sealTo). */
    heartbeatSecret?: string;
  };
  /**
   * `agent` (the anchor's DID) is pre-trusted from here on, as `role`. `by` asked: an operator's signed `trust` request
   * (kept whole), or the registry itself for an anchor configured at start (no request then).
   */
  TrustAnchorAdded: TrustAnchorChange;
  TrustAnchorRemoved: TrustAnchorChange;
}

export interface TrustAnchorChange {
  role: TrustAnchorRole;
  by: string;
  reason?: string;
  request?: SignedRequest;
}

export interface RegistryEvent<T extends RegistryEventType = RegistryEventType> {
  v: 1;
  id: string;
  type: T;
  /** The agent the event is about (for RequestRefused: the DID the request claimed, or the registry's own). */
  agent: string;
  at: number;
  /** The registry DID that signed the event. */
  by: string;
  data: EventData[T];
  sig: string;
}

const encoder = new TextEncoder();

export function makeEvent<T extends RegistryEventType>(
  registry: KeyPair,
  type: T,
  agent: string,
  data: EventData[T],
  at = Date.now(),
): RegistryEvent<T> {
  return signDocument(registry, { v: 1 as const, id: newId(), type, agent, at, by: registry.did, data });
}

export function encodeEvent(event: RegistryEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/** An event whose shape and signer were checked; its signature still has to be (see verifyParsedEvent). */
export interface ParsedEvent {
  event: RegistryEvent;
  /** The RFC 8785 bytes the signature covers. */
  signed: Uint8Array;
  signature: Uint8Array;
}

/**
 * Parses an event read from the log and checks its shape and that `by` is a registry this reader trusts (unless
 * `trusted` is undefined: a reader whose trust changes along the log checks it when applying), leaving the signature
 * to the caller (so many can be verified at once, off the event loop). Throws PlexusError
 * (ENVELOPE_INVALID | SIGNATURE_INVALID) naming what is wrong.
 */
export function parseEvent(bytes: Uint8Array, trusted: ReadonlySet<string> | undefined): ParsedEvent {
  const read = parseJson(bytes);
  if (!read.ok)
    throw new PlexusError(ErrorCode.EnvelopeInvalid, `registry event refused (${read.reason}): ${read.detail}`, {
      details: { reason: read.reason },
    });
  const value = read.value;
  if (!validateRegistryEvent(value)) {
    throw new PlexusError(
      ErrorCode.EnvelopeInvalid,
      `registry event fails its schema: ${validateRegistryEvent.explain()}`,
    );
  }
  const event = value as RegistryEvent;
  if (trusted !== undefined && !trusted.has(event.by)) {
    throw new PlexusError(
      ErrorCode.SignatureInvalid,
      `registry event signed by ${event.by}, which is not a trusted registry`,
    );
  }
  const { sig, ...unsigned } = event;
  return { event, signed: canonicalBytes(unsigned), signature: Buffer.from(sig, "base64url") };
}

/** parseEvent, then the signature, on this thread. */
export function decodeEvent(bytes: Uint8Array, trusted: ReadonlySet<string>): RegistryEvent {
  const parsed = parseEvent(bytes, trusted);
  if (!verifySignature(parsed.event.by, parsed.signed, parsed.signature)) {
    throw new PlexusError(ErrorCode.SignatureInvalid, `registry event ${parsed.event.id} has a bad signature`);
  }
  return parsed.event;
}
