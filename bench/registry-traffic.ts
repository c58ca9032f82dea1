/**
 * ACP traffic between the benchmark's active agents, as the SDK's Outbox and receipt batcher store it: signed
 * envelopes (Ed25519 over the RFC 8785 form, per-channel seq and prev hash chain) on
 * `plexus.<mesh>.acp.<inbox|receipt|reply>.<to>.<from>`.
 *
 * A conversation is a request (inbox) A → B, B's receipt for it (processed, or 5% failed), and B's reply (90%; the
 * rest stay unanswered and later count against B's cooperativeness). Up to 256 conversations are open at once and
 * their messages interleave, so replies land some way after their requests. Responders are Zipf-weighted: a few
 * agents serve many, which gives the reputation model evidence of varying weight.
 */
import { ENVELOPE_VERSION, MessageType, newId, type UnsignedEnvelope } from "@plexus/core";
import { attachSignature, signingInput } from "@plexus/identity/internal";
import { WORDS, prng, zipf, type SyntheticAgent } from "./registry-population.js";
import type { LogEntry } from "./registry-log.js";

const OPEN = 256;
const REPLY_SHARE = 0.9;
const FAIL_SHARE = 0.05;

interface Conversation {
  id: string;
  from: SyntheticAgent;
  to: SyntheticAgent;
  requestId: string;
  requestSeq: number;
  step: 1 | 2;
  replies: boolean;
}

interface ChainHead {
  seq: number;
  prev: string | undefined;
}

export class TrafficGenerator {
  readonly #mesh: string;
  readonly #random: () => number;
  readonly #heads = new Map<string, ChainHead>();
  readonly #open: Conversation[] = [];
  #agents: readonly SyntheticAgent[] = [];
  #responder: () => number = () => 0;
  #conversations = 0;

  constructor(mesh: string, seed = 7) {
    this.#mesh = mesh;
    this.#random = prng(seed);
  }

  /** How many conversations were started so far. */
  get conversations(): number {
    return this.#conversations;
  }

  /** The agents that talk (each must have a key and be joined before its first message). */
  setAgents(agents: readonly SyntheticAgent[]): void {
    if (agents.length === this.#agents.length) return;
    this.#agents = agents;
    this.#responder = zipf(agents.length, 0.7, this.#random);
  }

  get ready(): boolean {
    return this.#agents.length >= 2;
  }

  /** The next message of the interleaved conversations. */
  next(): LogEntry {
    const r = this.#random;
    if (this.#open.length === 0 || (this.#open.length < OPEN && r() < 0.4)) return this.#request();
    const i = Math.floor(r() * this.#open.length);
    const c = this.#open[i] as Conversation;
    if (c.step === 1) {
      c.step = 2;
      if (!c.replies) this.#open.splice(i, 1);
      return this.#receipt(c);
    }
    this.#open.splice(i, 1);
    return this.#seal(c.to, c.from, "reply", {
      conversation: c.id,
      replyTo: c.requestId,
      type: MessageType.Reply,
      body: { result: this.#words(8), ms: Math.floor(r() * 2000) },
    });
  }

  #request(): LogEntry {
    const r = this.#random;
    const agents = this.#agents;
    const to = agents[this.#responder()] as SyntheticAgent;
    let from = agents[Math.floor(r() * agents.length)] as SyntheticAgent;
    if (from === to) from = agents[(agents.indexOf(to) + 1) % agents.length] as SyntheticAgent;
    const id = `conv-${newId()}`;
    const entry = this.#seal(from, to, "inbox", {
      conversation: id,
      type: MessageType.Message,
      body: { task: "summarize", text: this.#words(16) },
    });
    const head = this.#heads.get(`${from.token}|inbox|${to.token}`) as ChainHead;
    this.#open.push({ id, from, to, requestId: entry.id, requestSeq: head.seq, step: 1, replies: r() < REPLY_SHARE });
    this.#conversations += 1;
    return entry;
  }

  /** B's cumulative receipt for A's inbox channel, up to this request. */
  #receipt(c: Conversation): LogEntry {
    const failed = this.#random() < FAIL_SHARE;
    const upTo = failed ? c.requestSeq - 1 : c.requestSeq;
    const body = {
      delivered: [],
      processed: upTo >= 1 ? [[1, upTo]] : [],
      failed: failed
        ? [{ id: c.requestId, seq: c.requestSeq, reason: "handler threw: upstream timeout", attempts: 3 }]
        : [],
    };
    return this.#seal(c.to, c.from, "receipt", { type: MessageType.Receipt, body });
  }

  #words(n: number): string {
    return Array.from({ length: n }, () => WORDS[Math.floor(this.#random() * WORDS.length)]).join(" ");
  }

  #seal(
    from: SyntheticAgent,
    to: SyntheticAgent,
    kind: "inbox" | "reply" | "receipt",
    fields: { type: string; body: unknown; conversation?: string; replyTo?: string },
  ): LogEntry & { id: string } {
    const key = `${from.token}|${kind}|${to.token}`;
    const head = this.#heads.get(key) ?? { seq: 0, prev: undefined };
    this.#heads.set(key, head);
    const unsigned: UnsignedEnvelope = {
      v: ENVELOPE_VERSION,
      id: newId(),
      from: from.did,
      to: to.did,
      ...(fields.conversation !== undefined ? { conversation: fields.conversation } : {}),
      ...(fields.replyTo !== undefined ? { replyTo: fields.replyTo } : {}),
      type: fields.type,
      body: fields.body,
      ts: Date.now(),
      seq: head.seq + 1,
      ...(head.prev !== undefined ? { prev: head.prev } : {}),
    };
    const { bytes, hash } = signingInput(unsigned);
    head.seq = unsigned.seq;
    head.prev = hash;
    if (!from.key) throw new Error(`agent ${from.did} has no key to sign with`);
    const { wire } = attachSignature(unsigned, bytes, from.key.signBase64url(bytes));
    return { id: unsigned.id, subject: `plexus.${this.#mesh}.acp.${kind}.${to.token}.${from.token}`, data: wire };
  }
}
