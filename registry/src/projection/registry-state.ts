import type { AgentCard, Factor } from "@plexus/anp";
import type { RegistryEvent } from "@plexus/anp/internal";
import { CardIndex } from "../discovery/index.js";
import { EvidenceLedger } from "../reputation/index.js";
import type { AgentRecord } from "../types.js";
import { ConversationIndex } from "./conversations.js";
import { CredentialBook } from "./credentials.js";
import { IdentityState } from "./identity-state.js";
import { applyKeyRotated, applyRegistryKeyRotated } from "./rotation.js";
import { PendingRequests } from "./pending-requests.js";
import { RecentMessages } from "./recent-messages.js";
import { TrustAnchorBook } from "./trust-anchors.js";

export interface ProjectionOptions {
  /** Half-life of reputation evidence (default 7 days). */
  halfLifeMs: number;
  /** A request not answered within this much log time counts against the recipient (default 60 s). */
  replyWindowMs: number;
  /** Reply latency that scores 0.5 for responsiveness (default 1 s): x = 1 / (1 + latency / ref). */
  responsivenessRefMs: number;
  /**
   * The server pins each agent's publish subjects to it (NATS operator mode): an `acp.*.*.<me>` or `ops.*.<me>`
   * message was published by that agent, so unsigned records (dead letters) and messages that fail their checks can be
   * attributed. Off (open server, `--no-auth`): only what a signature proves counts. Every node of a mesh must agree.
   */
  pinnedPublishers: boolean;
}

export const DEFAULT_PROJECTION_OPTIONS: ProjectionOptions = {
  halfLifeMs: 7 * 24 * 3600_000,
  replyWindowMs: 60_000,
  responsivenessRefMs: 1_000,
  pinnedPublishers: false,
};

/** Nonces are remembered this long (log time) after the join that used them; challenges live 60 s. */
const NONCE_MEMORY_MS = 10 * 60_000;

/**
 * All registry state: agents and their cards, liveness as recorded, the evidence behind reputation, and the
 * conversation index that ratings are checked against. Changed only by the projector, in log order, so two
 * nodes that applied the same log hold the same state (Map iteration follows insertion, i.e. log order).
 */
export class RegistryState {
  readonly options: ProjectionOptions;
  agents = new Map<string, AgentRecord>();
  nonces = new Map<string, number>();
  ratings = new Set<string>();
  conversations = new ConversationIndex();
  pending = new PendingRequests();
  recent = new RecentMessages();
  ledger: EvidenceLedger;
  cards = new CardIndex();
  identity = new IdentityState();
  credentials = new CredentialBook();
  /** EigenTrust's pre-trusted peers, as operators added them to the log. */
  trust = new TrustAnchorBook();
  /** Last applied mesh stream sequence and the latest stream time seen (ms). */
  seq = 0;
  clock = 0;
  counters: Record<string, number> = {};

  constructor(options: ProjectionOptions) {
    this.options = options;
    this.ledger = new EvidenceLedger({ halfLifeMs: options.halfLifeMs });
  }

  count(name: string, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }

  isAgent(did: string): boolean {
    return this.agents.has(did);
  }

  /**
   * The messages a rating of `ratee` by `rater` in `conversation` rests on: one each way between them, under their
   * current keys or any key they rotated from (a rotation is no way out of a rating), with the DIDs that spoke.
   */
  conversationBetween(
    conversation: string,
    rater: string,
    ratee: string,
  ): { rater: string; ratee: string; fromA: number; fromB: number } | undefined {
    for (const a of this.identity.lineage(rater)) {
      for (const b of this.identity.lineage(ratee)) {
        const seen = this.conversations.between(conversation, token(a), token(b));
        if (seen) return { rater: a, ratee: b, ...seen };
      }
    }
    return undefined;
  }

  observe(subject: string, factor: Factor, counterpart: string | undefined, x: number, at: number): void {
    this.ledger.observe(subject, factor, counterpart, x, at);
    this.count("observations");
  }

  applyEvent(event: RegistryEvent, seq: number, time: number): void {
    this.count(`events.${event.type}`);
    switch (event.type) {
      case "AgentJoined":
        return this.#joined(event as RegistryEvent<"AgentJoined">, seq);
      case "AgentUpdated":
        return this.#updated(event.agent, (event as RegistryEvent<"AgentUpdated">).data.card, event.at);
      case "AgentLeft":
        return this.#left(event.agent, event.at);
      case "LivenessChanged":
        return this.#liveness(event as RegistryEvent<"LivenessChanged">, time);
      case "RatingRecorded":
        return this.#rating(event as RegistryEvent<"RatingRecorded">, time);
      case "RequestRefused":
        this.count(`refused.${(event as RegistryEvent<"RequestRefused">).data.reason}`);
        return;
      case "AgentSuspended":
        return this.#suspended(event as RegistryEvent<"AgentSuspended">, seq);
      case "AgentResumed":
        return this.#resumed(event as RegistryEvent<"AgentResumed">);
      case "CredentialAttested":
        return this.#attested(event as RegistryEvent<"CredentialAttested">, seq);
      case "CredentialRevoked":
        return this.#revoked(event as RegistryEvent<"CredentialRevoked">, seq);
      case "KeyRotated":
        return applyKeyRotated(this, event as RegistryEvent<"KeyRotated">, seq);
      case "RegistryKeyRotated":
        return applyRegistryKeyRotated(this, event as RegistryEvent<"RegistryKeyRotated">, seq);
      case "TrustAnchorAdded":
        return this.#anchorAdded(event as RegistryEvent<"TrustAnchorAdded">, seq);
      case "TrustAnchorRemoved":
        return this.#anchorRemoved(event as RegistryEvent<"TrustAnchorRemoved">, seq);
    }
  }

  #joined(event: RegistryEvent<"AgentJoined">, seq: number): void {
    const { card, nonce, credential } = event.data;
    if (this.nonces.has(nonce)) {
      this.count("ignored.replayedJoin");
      return;
    }
    this.nonces.set(nonce, event.at);
    this.credentials.setMembership(event.agent, { id: credential.id, issuer: event.by });
    for (const [n, at] of this.nonces) {
      if (at >= event.at - NONCE_MEMORY_MS) break;
      this.nonces.delete(n);
    }
    const previous = this.agents.get(event.agent);
    const record: AgentRecord = {
      did: event.agent,
      card,
      joinedAt: event.at,
      firstJoinedAt: previous?.firstJoinedAt ?? event.at,
      firstJoinSeq: previous?.firstJoinSeq ?? seq,
      updatedAt: event.at,
      leftAt: undefined,
      present: true,
      liveness: "alive",
      livenessSince: event.at,
      joinSeq: seq,
      credential,
    };
    if (previous) this.agents.set(event.agent, Object.assign(previous, record));
    else this.agents.set(event.agent, record);
    if (!this.identity.suspended.has(event.agent)) this.cards.upsert(event.agent, card, record.firstJoinSeq);
  }

  #updated(did: string, card: AgentCard, at: number): void {
    const record = this.agents.get(did);
    if (!record?.present) {
      this.count("ignored.updateOfAbsent");
      return;
    }
    record.card = card;
    record.updatedAt = at;
    if (!this.identity.suspended.has(did)) this.cards.upsert(did, card, record.firstJoinSeq);
  }

  #left(did: string, at: number): void {
    const record = this.agents.get(did);
    if (!record?.present) {
      this.count("ignored.leaveOfAbsent");
      return;
    }
    record.present = false;
    record.leftAt = at;
    record.updatedAt = at;
    this.cards.remove(did);
  }

  #liveness(event: RegistryEvent<"LivenessChanged">, time: number): void {
    const record = this.agents.get(event.agent);
    const { to } = event.data;
    if (!record?.present || record.liveness === to || event.at < record.joinedAt) {
      this.count("ignored.livenessNoChange");
      return;
    }
    const from = record.liveness;
    record.liveness = to;
    record.livenessSince = event.at;
    // Heartbeat regularity: each lapse (alive → anything else) counts once against reliability.
    if (from === "alive") this.observe(event.agent, "reliability", undefined, 0, time);
  }

  #attested(event: RegistryEvent<"CredentialAttested">, seq: number): void {
    const { id, issuer, capabilities, issuedAt, expiresAt } = event.data;
    // Presented after its issuer's key was rotated away: signed by a key that may act no more (maybe a thief's).
    if (this.identity.rotatedBefore(issuer, seq)) {
      this.count("ignored.attestationByRotatedKey");
      return;
    }
    if (!this.credentials.attest({ id, issuer, subject: event.agent, capabilities, issuedAt, expiresAt, seq }))
      this.count("ignored.attestationOfRevoked");
  }

  #revoked(event: RegistryEvent<"CredentialRevoked">, seq: number): void {
    const { credentialId, issuer, revokedBy, reason } = event.data;
    this.credentials.revoke({ credentialId, issuer, revokedBy, reason, at: event.at, seq });
  }

  #suspended(event: RegistryEvent<"AgentSuspended">, seq: number): void {
    const { by, reason } = event.data;
    this.identity.suspended.set(event.agent, { by, at: event.at, reason, seq });
    // Off discovery at once; the record (and its reputation) stays.
    this.cards.remove(event.agent);
  }

  #resumed(event: RegistryEvent<"AgentResumed">): void {
    if (!this.identity.suspended.delete(event.agent)) {
      this.count("ignored.resumeOfActive");
      return;
    }
    const record = this.agents.get(event.agent);
    if (record?.present) this.cards.upsert(event.agent, record.card, record.firstJoinSeq);
  }

  #anchorAdded(event: RegistryEvent<"TrustAnchorAdded">, seq: number): void {
    const { role, by, reason } = event.data;
    // Several nodes configured with the same anchor may each append it: the first one counts.
    if (!this.trust.add({ did: this.#anchorDid(event), role, by, at: event.at, seq, ...(reason ? { reason } : {}) }))
      this.count("ignored.addOfExistingAnchor");
  }

  #anchorRemoved(event: RegistryEvent<"TrustAnchorRemoved">, seq: number): void {
    if (!this.trust.remove(this.#anchorDid(event), event.data.role, seq)) this.count("ignored.removeOfAbsentAnchor");
  }

  /** An agent anchor named by a key rotated away before the event (a node that had not seen it yet) is its successor. */
  #anchorDid(event: RegistryEvent<"TrustAnchorAdded" | "TrustAnchorRemoved">): string {
    return event.data.role === "agent" ? this.identity.current(event.agent) : event.agent;
  }

  #rating(event: RegistryEvent<"RatingRecorded">, time: number): void {
    const { request, evidence } = event.data;
    const rating = request.body;
    const rater = request.did;
    const ratee = event.agent;
    if (ratee !== rating.ratee || !this.isAgent(rater) || !this.isAgent(ratee)) {
      this.count("ignored.ratingUnknownAgent");
      return;
    }
    const seen = this.conversationBetween(rating.conversation, rater, ratee);
    if (!seen || seen.fromA !== evidence.fromRater || seen.fromB !== evidence.fromRatee) {
      this.count("ignored.ratingWithoutConversation");
      return;
    }
    const factor = rating.factor ?? "quality";
    // Keyed by the DIDs that spoke in it: rating the same conversation again under a rotated key is a repeat.
    const key = `${seen.rater}|${seen.ratee}|${rating.conversation}|${factor}`;
    if (this.ratings.has(key)) {
      this.count("ignored.ratingRepeated");
      return;
    }
    this.ratings.add(key);
    this.ledger.rate(rater, ratee, factor, rating.score, time);
    this.count("ratings");
  }
}

export function token(did: string): string {
  return did.slice("did:key:".length);
}
