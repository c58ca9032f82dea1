import type { Envelope, ReceiptBody, RejectionRecord, DeadLetterRecord } from "@plexus/core";
import { Defaults, RejectionReason, didOfToken, parseJson } from "@plexus/core";
import type { RegistryState } from "./registry-state.js";

/** Rejections that say the sender misbehaved (as opposed to, say, an oversized or stale message). */
const DISHONEST: ReadonlySet<string> = new Set([RejectionReason.BadSignature, RejectionReason.Replay, RejectionReason.SubjectMismatch]);

/** A JSON object read under the mesh's limits, or undefined: what the log holds was written by anyone. */
function parse<T>(data: Uint8Array): T | undefined {
  const read = parseJson(data, { maxBytes: Defaults.maxEnvelopeBytes * 2 });
  return read.ok && typeof read.value === "object" && read.value !== null && !Array.isArray(read.value) ? (read.value as T) : undefined;
}

function countRanges(ranges: unknown): number {
  if (!Array.isArray(ranges)) return 0;
  let n = 0;
  for (const r of ranges) if (Array.isArray(r) && typeof r[0] === "number" && typeof r[1] === "number" && r[1] >= r[0]) n += r[1] - r[0] + 1;
  return n;
}

/**
 * What the mesh observed, turned into reputation evidence. Attribution is by the publisher token in the subject
 * (which NATS permissions pin to the publisher once they are on); only traffic between agents the registry
 * admitted becomes evidence, so random identities cannot grow the ledger (the conversation index, bounded, records
 * every direct message). Signatures are not checked here (that is the
 * readers' job, and their verdicts are in the log as receipts and rejection records); the messages a rating
 * relies on are verified when the rating is submitted.
 */
export class AcpObserver {
  readonly #state: RegistryState;

  constructor(state: RegistryState) {
    this.#state = state;
  }

  /** A direct message (`inbox` or `reply`) from → to (agent tokens). */
  direct(kind: "inbox" | "reply", fromToken: string, toToken: string, data: Uint8Array, seq: number, time: number): void {
    const s = this.#state;
    const from = didOfToken(fromToken);
    const to = didOfToken(toToken);
    const env = parse<Envelope>(data);
    if (!env || typeof env.id !== "string") return;
    // Conversations are indexed whoever spoke (bounded index): agents that talked before they joined can still rate.
    if (typeof env.conversation === "string") s.conversations.record(env.conversation, fromToken, toToken, seq);
    if (!s.isAgent(from) || !s.isAgent(to)) return;
    if (kind === "inbox") {
      if (typeof env.conversation === "string") s.pending.add({ id: env.id, from, to, at: time });
      return;
    }
    if (typeof env.replyTo !== "string") return;
    const request = s.pending.answer(env.replyTo, from);
    if (!request || request.from !== to) return;
    const latency = Math.max(0, time - request.at);
    s.observe(from, "responsiveness", to, 1 / (1 + latency / s.options.responsivenessRefMs), time);
    s.observe(from, "cooperativeness", to, 1, time);
  }

  /** A receipt from the reader (`fromToken`) to the sender of the messages it covers (`toToken`). */
  receipt(fromToken: string, toToken: string, data: Uint8Array, time: number): void {
    const s = this.#state;
    const reader = didOfToken(fromToken);
    const sender = didOfToken(toToken);
    if (!s.isAgent(reader) || !s.isAgent(sender)) return;
    const body = parse<Envelope>(data)?.body as ReceiptBody | undefined;
    if (!body || typeof body !== "object") return;
    const processed = countRanges(body.processed);
    const failed = Array.isArray(body.failed) ? body.failed.length : 0;
    if (processed + failed > 0) s.observe(reader, "reliability", sender, processed / (processed + failed), time);
    // The reader verified the sender's signatures and found them in order: evidence of the sender's honesty.
    if (processed > 0) s.observe(sender, "honesty", reader, 1, time);
  }

  rejected(byToken: string, data: Uint8Array, time: number): void {
    const s = this.#state;
    const record = parse<RejectionRecord>(data);
    const by = didOfToken(byToken);
    if (!record || typeof record.from !== "string" || !DISHONEST.has(record.reason)) return;
    if (!s.isAgent(record.from) || !s.isAgent(by)) return;
    s.observe(record.from, "honesty", by, 0, time);
  }

  dead(byToken: string, data: Uint8Array, time: number): void {
    const s = this.#state;
    const record = parse<DeadLetterRecord>(data);
    const by = didOfToken(byToken);
    const sender = record?.envelope?.from;
    if (typeof sender !== "string" || !s.isAgent(sender) || !s.isAgent(by)) return;
    s.observe(by, "reliability", sender, 0, time);
  }

  /** Requests whose reply window closed without a reply count against their recipient's cooperativeness. */
  expire(now: number): void {
    const s = this.#state;
    for (const request of s.pending.expire(now - s.options.replyWindowMs)) {
      s.observe(request.to, "cooperativeness", request.from, 0, now);
    }
  }
}
