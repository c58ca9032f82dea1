import { assertName, assertTopic, validateRating, validateRegistryRequest } from "@plexus/core";
import { base58Decode, didFromPublicKey, publicKeyMultibase, type KeyPair } from "@plexus/identity";
import type { AgentCard } from "./card.js";
import { checkCard } from "./card.js";
import { checkChallenge } from "./challenge.js";
import { signDocument, verifyDocument } from "./signed-document.js";

/** Why a registry refused a request. Stable: scripts and tests branch on these. */
export const RefusalReason = {
  Malformed: "malformed",
  SchemaInvalid: "schema_invalid",
  DidKeyMismatch: "did_key_mismatch",
  BadSignature: "bad_signature",
  ChallengeInvalid: "challenge_invalid",
  ChallengeExpired: "challenge_expired",
  ChallengeReplayed: "challenge_replayed",
  CardInvalid: "card_invalid",
  NotJoined: "not_joined",
  RatingInvalid: "rating_invalid",
  NoConversation: "no_conversation",
  SelfRating: "self_rating",
  CredentialInvalid: "credential_invalid",
  NotIssuer: "not_issuer",
  NotOperator: "not_operator",
  Suspended: "suspended",
  RotationInvalid: "rotation_invalid",
  Rotated: "rotated",
  /** Signed by a key the log records as rotated away before (a credential it issued after its rotation). */
  RotatedKey: "rotated_key",
  /** A revocation of a credential the registry has never seen, without the credential to show who issued it. */
  UnknownCredential: "unknown_credential",
  /** An agent asked for more topic durables than one agent may own (registry topic-consumers.ts). */
  TooManySubscriptions: "too_many_subscriptions",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

export type RequestOp =
  | "join"
  | "update"
  | "leave"
  | "rate"
  | "attest"
  | "revoke"
  | "suspend"
  | "resume"
  | "rotate"
  | "connect"
  | "subscribe"
  | "trust";

/**
 * What a trust anchor pre-trusts (EigenTrust's pre-trusted peers): `agent`, the DID itself; `issuer`, the agents
 * holding a live capability credential issued by the DID.
 */
export const TRUST_ANCHOR_ROLES = ["agent", "issuer"] as const;
export type TrustAnchorRole = (typeof TRUST_ANCHOR_ROLES)[number];

/** The body of a `trust` request: add or remove a trust anchor (operators only). `role` defaults to "agent". */
export interface TrustBody {
  action: "add" | "remove";
  did: string;
  role?: TrustAnchorRole;
  reason?: string;
}

export interface Rating {
  ratee: string;
  conversation: string;
  score: number;
  factor?: "reliability" | "quality" | "responsiveness" | "honesty" | "cooperativeness";
  comment?: string;
}

/** Key rotation: `proof` is the new key's signature (base64url) over `rotationProofInput(old, new, challenge)`. */
export interface Rotation {
  newDid: string;
  newPublicKey: string;
  proof: string;
  /** The old key leaked: every credential it issued that the log holds is revoked with the rotation (one event). */
  compromised?: boolean;
}

export interface RequestBodies {
  join: { card: AgentCard };
  update: { card: AgentCard };
  leave: Record<string, never>;
  rate: Rating;
  /** Present a capability credential (VC-JWT) about the requester, or issued by it. */
  attest: { credential: string };
  /**
   * Revoke a credential the requester issued (or, for a registry of the mesh, any). One the registry has not seen
   * yet needs `credential`, the VC-JWT itself, to show that the requester issued it.
   */
  revoke: { credentialId: string; reason?: string; credential?: string };
  /** Operator kill switch (the requester must be an operator of the registry). */
  suspend: { agent: string; reason: string };
  resume: { agent: string; reason?: string };
  rotate: Rotation;
  /** Ask for a NATS user JWT bound to the requester's key. */
  connect: Record<string, never>;
  /**
   * Ask for a topic durable (NATS operator mode): the requester's own for `topic`, or the queue group's. The registry
   * creates it on the topic stream if missing and answers with its (secret) name.
   */
  subscribe: TopicSubscribeBody;
  /** Add or remove a trust anchor, recorded in the log so every node agrees (operators only). */
  trust: TrustBody;
}

export interface TopicSubscribeBody {
  topic: string;
  group?: string;
  /** Ack wait for a durable the request creates (ms, clamped to 1 s … 10 min); an existing one is left as it is. */
  ackWaitMs?: number;
}

/** The registry's answer to `subscribe`: where the durable is. Pull and ack on it; the name is not to be shared. */
export interface TopicDurableGrant {
  stream: string;
  name: string;
  created: boolean;
}

export interface SignedRequest<B = unknown> {
  op: RequestOp;
  mesh: string;
  did: string;
  publicKey: string;
  challenge: string;
  body: B;
  sig: string;
}

export function signRequest<O extends RequestOp>(
  key: KeyPair,
  op: O,
  mesh: string,
  challenge: string,
  body: RequestBodies[O],
): SignedRequest<RequestBodies[O]> {
  return signDocument(key, { op, mesh, did: key.did, publicKey: publicKeyMultibase(key.publicKey), challenge, body });
}

export type RequestCheck =
  | { ok: true; request: SignedRequest; nonce: string }
  | { ok: false; reason: RefusalReason; detail: string; claimedDid?: string };

/**
 * Everything a registry checks about a request before acting on it, in this order: JSON shape, that the DID is
 * the did:key of the presented public key, the signature, the challenge (issued by this registry, to this DID, for
 * this mesh, not expired), and the body of the operation (card or rating schema).
 */
export function checkRequest(
  value: unknown,
  mesh: string,
  registryDids: ReadonlySet<string>,
  now = Date.now(),
): RequestCheck {
  if (!validateRegistryRequest(value))
    return { ok: false, reason: RefusalReason.SchemaInvalid, detail: validateRegistryRequest.explain() };
  const request = value as SignedRequest;
  const claimedDid = request.did;
  let keyDid: string;
  try {
    if (!request.publicKey.startsWith("z")) throw new Error("not multibase");
    const prefixed = base58Decode(request.publicKey.slice(1));
    if (prefixed.length !== 34 || prefixed[0] !== 0xed || prefixed[1] !== 0x01) throw new Error("not an Ed25519 key");
    keyDid = didFromPublicKey(prefixed.subarray(2));
  } catch {
    return {
      ok: false,
      reason: RefusalReason.Malformed,
      detail: "publicKey is not a multibase Ed25519 public key",
      claimedDid,
    };
  }
  if (keyDid !== request.did) {
    return {
      ok: false,
      reason: RefusalReason.DidKeyMismatch,
      detail: `the DID is not the did:key of the presented key (${keyDid})`,
      claimedDid,
    };
  }
  if (!verifyDocument(request.did, request)) {
    return {
      ok: false,
      reason: RefusalReason.BadSignature,
      detail: "the request is not signed by the DID's key",
      claimedDid,
    };
  }
  if (request.mesh !== mesh)
    return {
      ok: false,
      reason: RefusalReason.Malformed,
      detail: `the request is for mesh "${request.mesh}", this is "${mesh}"`,
      claimedDid,
    };
  const challenge = checkChallenge(registryDids, request.challenge, mesh, request.did, now);
  if (!challenge.ok) return { ok: false, reason: challenge.reason, detail: challenge.detail, claimedDid };
  const body = request.body as Record<string, unknown>;
  if (request.op === "join" || request.op === "update") {
    const card = checkCard(body.card);
    if (!card.ok || Object.keys(body).length !== 1) {
      return {
        ok: false,
        reason: RefusalReason.CardInvalid,
        detail: card.ok ? "the body holds more than the card" : `the agent card is invalid: ${card.detail}`,
        claimedDid,
      };
    }
  } else if (request.op === "rate") {
    if (!validateRating(body))
      return {
        ok: false,
        reason: RefusalReason.RatingInvalid,
        detail: `the rating is invalid: ${validateRating.explain()}`,
        claimedDid,
      };
    if ((body as unknown as Rating).ratee === request.did)
      return { ok: false, reason: RefusalReason.SelfRating, detail: "an agent cannot rate itself", claimedDid };
  } else if (request.op === "subscribe") {
    const problem = subscribeBodyProblem(body);
    if (problem !== undefined) return { ok: false, reason: RefusalReason.Malformed, detail: problem, claimedDid };
  }
  return { ok: true, request, nonce: challenge.claims.nonce };
}

/** What is wrong with a `subscribe` body (topic and group as @plexus/core subjects.ts allows them), if anything. */
function subscribeBodyProblem(body: Record<string, unknown>): string | undefined {
  const extra = Object.keys(body).filter((k) => k !== "topic" && k !== "group" && k !== "ackWaitMs");
  if (extra.length > 0) return `the subscribe body holds unknown fields: ${extra.slice(0, 5).join(", ")}`;
  if (body.ackWaitMs !== undefined && !(typeof body.ackWaitMs === "number" && Number.isFinite(body.ackWaitMs)))
    return "ackWaitMs must be a number";
  try {
    assertTopic(typeof body.topic === "string" ? body.topic : "");
    if (body.group !== undefined) assertName("group", typeof body.group === "string" ? body.group : "");
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}
