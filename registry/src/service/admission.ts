import { randomUUID } from "node:crypto";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { RefusalReason, type JoinResult, type Rating, type AgentCard } from "@plexus/anp";
import {
  beatKeyFor,
  checkRequest,
  encodeEvent,
  heartbeatKey,
  issueChallenge,
  makeEvent,
  type EventData,
  type RegistryEventType,
  type SignedRequest,
} from "@plexus/anp/internal";
import { publishDurably } from "@plexus/bus";
import { ErrorCode, PlexusError, agentToken, type MeshSubjects } from "@plexus/core";
import { isDid, issueMembershipCredential, type KeyPair } from "@plexus/identity";
import type { LogFollower, RegistryState } from "../projection/index.js";
import { verifyConversationEvidence } from "./conversation-evidence.js";

export interface AdmissionOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: MeshSubjects;
  key: KeyPair;
  trusted: ReadonlySet<string>;
  state: () => RegistryState;
  follower: () => LogFollower;
  heartbeats: KV;
  heartbeatSecret: Uint8Array;
  heartbeatIntervalMs: number;
  credentialTtlMs: number;
  challengeTtlMs: number;
  count: (name: string) => void;
  /** In operator mode: issues the NATS user JWT a join result carries. */
  natsUser?: (did: string) => Promise<{ jwt: string; expiresAt: number }>;
}

/**
 * The write side of the registry: checks signed requests and appends the events they lead to. Refusals are
 * answered with REQUEST_REFUSED and a stable `reason`, counted, and appended as RequestRefused events so an
 * operator sees them in the log. Every append waits until this node's own projection has applied it, so a client
 * that joins and then queries the same node sees itself.
 */
/** At most this many refusals per second become RequestRefused events; the rest are only counted. */
export const MAX_RECORDED_REFUSALS_PER_SECOND = 100;

export class Admission {
  readonly #o: AdmissionOptions;
  #refusalWindow = { second: 0, recorded: 0 };

  constructor(options: AdmissionOptions) {
    this.#o = options;
  }

  challenge(payload: { did?: unknown }): { challenge: string } {
    if (!isDid(payload.did)) throw new PlexusError(ErrorCode.InvalidArgument, "challenge needs { did } with a did:key");
    return { challenge: issueChallenge(this.#o.key, this.#o.subjects.mesh, payload.did, this.#o.challengeTtlMs) };
  }

  async join(payload: unknown): Promise<JoinResult> {
    const { request, nonce } = await this.check("join", payload);
    const card = (request.body as { card: AgentCard }).card;
    const o = this.#o;
    const issuedAt = Date.now();
    const credential = { id: `urn:uuid:${randomUUID()}`, issuedAt, expiresAt: issuedAt + o.credentialTtlMs };
    const jwt = await issueMembershipCredential(o.key, {
      ...credential,
      subject: request.did,
      mesh: o.subjects.mesh,
      name: card.name,
    });
    const seq = await this.append("AgentJoined", request, nonce, { card, nonce, credential });
    return {
      did: request.did,
      credential: jwt,
      credentialId: credential.id,
      expiresAt: credential.expiresAt,
      registry: o.key.did,
      heartbeat: {
        key: beatKeyFor(o.heartbeatSecret, request.did).toString("base64url"),
        intervalMs: o.heartbeatIntervalMs,
        bucket: o.subjects.heartbeatBucket,
      },
      seq,
      ...(o.natsUser
        ? await o.natsUser(request.did).then((u) => ({ natsJwt: u.jwt, natsJwtExpiresAt: u.expiresAt }))
        : {}),
    };
  }

  async update(payload: unknown): Promise<{ seq: number }> {
    const { request, nonce } = await this.check("update", payload);
    await this.requirePresent(request);
    return {
      seq: await this.append("AgentUpdated", request, nonce, { card: (request.body as { card: AgentCard }).card }),
    };
  }

  async leave(payload: unknown): Promise<{ seq: number }> {
    const { request, nonce } = await this.check("leave", payload);
    await this.requirePresent(request);
    const seq = await this.append("AgentLeft", request, nonce, { reason: "leave" });
    await this.#o.heartbeats.delete(heartbeatKey(request.did)).catch(() => undefined);
    return { seq };
  }

  async rate(payload: unknown): Promise<{ seq: number }> {
    const { request, nonce } = await this.check("rate", payload);
    const rating = request.body as Rating;
    // The rated conversation may have been stored a moment ago: apply the log up to its current end first.
    const end = (await this.#o.jsm.streams.info(this.#o.subjects.stream)).state.last_seq;
    await this.#o.follower().waitFor(end);
    const state = this.#o.state();
    if (!state.agents.has(request.did))
      await this.refuse(request, RefusalReason.NotJoined, "the rater never joined this mesh");
    if (!state.agents.has(rating.ratee))
      await this.refuse(request, RefusalReason.NotJoined, "the rated agent never joined this mesh");
    const between = state.conversationBetween(rating.conversation, request.did, rating.ratee);
    const problem = between
      ? await verifyConversationEvidence(
          this.#o.jsm,
          this.#o.subjects,
          rating.conversation,
          between.rater,
          between.ratee,
          between,
        )
      : `the log holds no messages both ways between rater and ratee in conversation "${rating.conversation}"`;
    if (problem !== undefined || !between)
      return this.refuse(request, RefusalReason.NoConversation, problem ?? "no conversation");
    const data: EventData["RatingRecorded"] = {
      request: request as SignedRequest<Rating>,
      evidence: { fromRater: between.fromA, fromRatee: between.fromB },
    };
    return { seq: await this.append("RatingRecorded", request, nonce, data, rating.ratee) };
  }

  /** Checks a signed request for `op` (shape, key, signature, challenge, unused nonce); refuses (and records) otherwise. */
  async check(op: SignedRequest["op"], payload: unknown): Promise<{ request: SignedRequest; nonce: string }> {
    const o = this.#o;
    const checked = checkRequest(payload, o.subjects.mesh, o.trusted);
    if (checked.ok && checked.request.op !== op) {
      return this.refuse(checked.request, RefusalReason.Malformed, `a ${checked.request.op} request sent to ${op}`);
    }
    if (!checked.ok) {
      await this.#recordRefusal(op, checked.reason, checked.detail, checked.claimedDid);
      throw refused(checked.reason, checked.detail);
    }
    const { request } = checked;
    if (o.state().nonces.has(checked.nonce))
      return this.refuse(request, RefusalReason.ChallengeReplayed, "this challenge was already used");
    const identity = o.state().identity;
    const successor = identity.rotatedTo.get(request.did);
    if (successor !== undefined)
      return this.refuse(
        request,
        RefusalReason.Rotated,
        `this key was rotated to ${identity.current(request.did)}; sign with the new key`,
      );
    // A registry key rotated away (maybe because it leaked) asks for nothing more either: revocations, suspensions…
    if (identity.isRetiredRegistry(request.did))
      return this.refuse(request, RefusalReason.Rotated, "this registry key was rotated away; sign with its successor");
    if (identity.suspended.has(request.did) && op !== "leave")
      return this.refuse(request, RefusalReason.Suspended, "this agent is suspended by an operator of the mesh");
    return checked;
  }

  async requirePresent(request: SignedRequest): Promise<void> {
    if (!this.#o.state().agents.get(request.did)?.present)
      await this.refuse(request, RefusalReason.NotJoined, "the agent is not a member of this mesh");
  }

  /** Appends a registry event for an accepted request (deduplicated by op and nonce) and waits until it is applied. */
  async append<T extends RegistryEventType>(
    type: T,
    request: SignedRequest,
    nonce: string,
    data: EventData[T],
    agent = request.did,
  ): Promise<number> {
    const o = this.#o;
    this.#assertUnretired();
    const event = makeEvent(o.key, type, agent, data);
    const ack = await publishDurably(
      o.nc,
      o.js,
      o.subjects.registryEvent(type, agentToken(agent)),
      encodeEvent(event),
      { msgID: `${request.op}-${nonce}` },
    );
    if (ack.duplicate) return this.refuse(request, RefusalReason.ChallengeReplayed, "this challenge was already used");
    await o.follower().waitFor(ack.seq);
    o.count(`accepted.${request.op}`);
    return ack.seq;
  }

  /**
   * Appends an event the registry makes on its own (no request), deduplicated by `msgID` within JetStream's window,
   * and waits until it (or the earlier one with that id) is applied.
   */
  async record<T extends RegistryEventType>(
    type: T,
    agent: string,
    data: EventData[T],
    msgID: string,
  ): Promise<{ seq: number; duplicate: boolean }> {
    const o = this.#o;
    this.#assertUnretired();
    const event = makeEvent(o.key, type, agent, data);
    const ack = await publishDurably(
      o.nc,
      o.js,
      o.subjects.registryEvent(type, agentToken(agent)),
      encodeEvent(event),
      { msgID },
    );
    await o.follower().waitFor(ack.seq);
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  #assertUnretired(): void {
    const o = this.#o;
    if (o.state().identity.isRetiredRegistry(o.key.did)) {
      throw new PlexusError(
        ErrorCode.NotReady,
        "this registry node's key was rotated: restart it with the new key (its events no longer count)",
      );
    }
  }

  /** Records a refusal and throws REQUEST_REFUSED with `reason`. */
  async refuse(request: SignedRequest, reason: RefusalReason, detail: string): Promise<never> {
    await this.#recordRefusal(request.op, reason, detail, request.did);
    throw refused(reason, detail);
  }

  /** Appends a RequestRefused event (best effort: a refusal must not fail because the log is briefly away). */
  async #recordRefusal(op: string, reason: string, detail: string, claimedDid: string | undefined): Promise<void> {
    const o = this.#o;
    o.count(`requests.refused.${reason}`);
    // Garbage is free to send: cap how much of it becomes log entries, so refusals cannot flood the log.
    const second = Math.floor(Date.now() / 1000);
    if (this.#refusalWindow.second !== second) this.#refusalWindow = { second, recorded: 0 };
    if (++this.#refusalWindow.recorded > MAX_RECORDED_REFUSALS_PER_SECOND) {
      o.count("refusalNotRecorded.rateLimited");
      return;
    }
    const agent = isDid(claimedDid) ? claimedDid : o.key.did;
    const event = makeEvent(o.key, "RequestRefused", agent, {
      op,
      reason,
      detail,
      ...(claimedDid !== undefined ? { claimedDid: claimedDid.slice(0, 200) } : {}),
    });
    await publishDurably(
      o.nc,
      o.js,
      o.subjects.registryEvent("RequestRefused", agentToken(agent)),
      encodeEvent(event),
      { msgID: event.id, timeoutMs: 5_000 },
    ).catch(() => {
      o.count("refusalNotRecorded");
    });
  }
}

function refused(reason: string, detail: string): PlexusError {
  return new PlexusError(ErrorCode.RequestRefused, `refused (${reason}): ${detail}`, { details: { reason } });
}
