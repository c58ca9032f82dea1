import type { DeadLetterRecord, Envelope, ReceiptBody, RejectionRecord, SeqRange } from "@plexus/core";
import { Defaults, RejectionReason, didOfToken, parseJson } from "@plexus/core";
import type { InboundResult } from "@plexus/acp";
import { rangeMembership, seqsToMatch } from "@plexus/acp/internal";
import type { RegistryState } from "./registry-state.js";
import type { RecentMessage } from "./recent-messages.js";

/** Verdicts that say the publisher misbehaved (as opposed to, say, an oversized or stale message). */
const DISHONEST: ReadonlySet<string> = new Set([
  RejectionReason.BadSignature,
  RejectionReason.Replay,
  RejectionReason.SubjectMismatch,
]);

/** A JSON object read under the mesh's limits, or undefined: what the log holds was written by anyone. */
function parse<T>(data: Uint8Array): T | undefined {
  const read = parseJson(data, { maxBytes: Defaults.maxEnvelopeBytes * 2 });
  return read.ok && typeof read.value === "object" && read.value !== null && !Array.isArray(read.value)
    ? (read.value as T)
    : undefined;
}

function ranges(value: unknown): SeqRange[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is SeqRange => Array.isArray(r) && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[1] >= r[0],
  );
}

/**
 * What the mesh observed, turned into reputation evidence, every piece checked by the registry itself and never taken
 * on a reporter's word (registry/README.md, "Reputation"):
 *
 * - A direct message counts only when it passes every check its reader makes (`checkInbound`: schema, subjects,
 *   freshness, signature), verified here. One that fails a dishonesty check (bad signature, subject mismatch, replay of
 *   an id already stored on that channel) is evidence about its publisher only where the publisher is proven: in
 *   operator mode (`pinnedPublishers`), where the server pins `acp.*.*.<me>` to the agent; elsewhere anyone may have
 *   published it, so it is counted and nothing more.
 * - A receipt counts only when it passes the same checks, and only for the messages it names that the registry read,
 *   that passed, that went from its addressee to its signer and that no receipt counted yet.
 * - A dead letter is its publisher's own failure: it counts only where the publisher is proven (operator mode) and for
 *   an inbox message the registry read, addressed to that publisher, once.
 * - A rejection record is checked against the registry's own verdict on the message it names; it never adds evidence
 *   (the registry already counted what it saw), and one the registry cannot confirm is counted as refused.
 * - Automatic traffic confers nothing on whoever caused it: a receipt speaks for its sender's honesty only for
 *   messages its signer asked for (a conversation the signer had spoken in to the sender first). Observations feed
 *   factor values; only ratings feed trust (see reputation/trust.ts).
 *
 * Every refusal is counted under `evidence.refused.<what>.<why>` (in /v1/status) and changes no score. Only traffic
 * between agents the registry admitted becomes evidence.
 */
export class AcpObserver {
  readonly #state: RegistryState;
  /** The mesh stream's name: records that name another stream name nothing the registry read. */
  readonly #stream: string;

  constructor(state: RegistryState, stream: string) {
    this.#state = state;
    this.#stream = stream;
  }

  /** A direct message (`inbox` or `reply`) from → to (agent tokens), with the registry's verdict on it. */
  direct(
    kind: "inbox" | "reply",
    fromToken: string,
    toToken: string,
    verdict: InboundResult,
    seq: number,
    time: number,
  ): void {
    const s = this.#state;
    const from = didOfToken(fromToken);
    const to = didOfToken(toToken);
    const env = verdict.ok ? verdict.envelope : undefined;
    const copy = env ? s.recent.earlierCopy(to, from, env.id) : undefined;
    const refused = !verdict.ok
      ? verdict.reason
      : copy !== undefined
        ? RejectionReason.Replay
        : s.identity.rotatedBefore(env!.from, seq)
          ? RejectionReason.RotatedKey
          : undefined;
    const solicited = env !== undefined && kind === "inbox" && this.#asked(env, toToken, fromToken, seq);
    s.recent.add({
      seq,
      kind,
      from,
      to,
      ...(refused !== undefined ? { refused } : { id: env?.id, envSeq: env?.seq }),
      solicited,
    });
    if (refused !== undefined || env === undefined) return this.#misbehaved(refused ?? "unprocessable", from, to, time);
    if (typeof env.conversation === "string") s.conversations.record(env.conversation, fromToken, toToken, seq, kind);
    if (!s.isAgent(from) || !s.isAgent(to)) return;
    if (kind === "inbox") {
      if (typeof env.conversation === "string") s.pending.add({ id: env.id, from, to, at: time });
      return;
    }
    if (typeof env.replyTo !== "string") return;
    const request = s.pending.answer(to, env.replyTo, from);
    if (!request) return;
    const latency = Math.max(0, time - request.at);
    s.observe(from, "responsiveness", to, 1 / (1 + latency / s.options.responsivenessRefMs), time);
    s.observe(from, "cooperativeness", to, 1, time);
  }

  /** A receipt from the reader (`fromToken`) to the sender of the messages it covers (`toToken`), with its verdict. */
  receipt(fromToken: string, toToken: string, verdict: InboundResult, time: number): void {
    const s = this.#state;
    const reader = didOfToken(fromToken);
    const sender = didOfToken(toToken);
    if (!verdict.ok) return this.#refuse("receipt", verdict.reason);
    if (s.identity.rotations.has(reader)) return this.#refuse("receipt", RejectionReason.RotatedKey);
    if (!s.isAgent(reader) || !s.isAgent(sender)) return;
    const body = verdict.envelope.body as ReceiptBody | undefined;
    if (!body || typeof body !== "object") return this.#refuse("receipt", "no_body");
    const waiting = s.recent.awaiting(sender, reader);
    const processed = rangeMembership(ranges(body.processed));
    const failedSeqs = new Set(
      Array.isArray(body.failed)
        ? body.failed.map((f) => (typeof f === "object" && f !== null ? f.seq : undefined))
        : [],
    );
    let ok = 0;
    let failed = 0;
    let solicited = 0;
    const named = seqsToMatch(
      [ranges(body.processed), [...failedSeqs].filter(Number.isSafeInteger).map((n) => [n, n] as SeqRange)],
      waiting,
    );
    for (const envSeq of named) {
      const m = s.recent.get(waiting?.get(envSeq) ?? -1);
      if (!m) continue;
      if (processed(envSeq)) {
        ok += 1;
        if (m.solicited) solicited += 1;
      } else if (failedSeqs.has(envSeq)) failed += 1;
      else continue;
      s.recent.judge(m);
    }
    if (ok + failed === 0) return this.#refuse("receipt", "names_no_waiting_message");
    // The sender chose to send these: what became of them is evidence of the reader's reliability, at the sender's trust.
    s.observe(reader, "reliability", sender, ok / (ok + failed), time);
    // The reader verified the sender's signatures and order; it speaks for the sender only about what it asked for.
    if (solicited > 0) s.observe(sender, "honesty", reader, 1, time);
    else if (ok > 0) s.count("evidence.unsolicited.receipt");
  }

  /** A rejection record published on `ops.rejected.<byToken>`: checked against the registry's own verdict, never added. */
  rejected(byToken: string, data: Uint8Array): void {
    const s = this.#state;
    const record = parse<RejectionRecord>(data);
    if (!record || typeof record.reason !== "string" || !Number.isSafeInteger(record.streamSeq))
      return this.#refuse("rejection", "malformed");
    if (!DISHONEST.has(record.reason)) return void s.count("evidence.rejections.informational");
    const m = this.#named(record.stream, record.streamSeq, didOfToken(byToken));
    if (!m) return this.#refuse("rejection", "unknown_message");
    if (m.refused === undefined) return this.#refuse("rejection", "message_passed");
    if (!DISHONEST.has(m.refused)) return this.#refuse("rejection", "verdict_differs");
    s.count("evidence.rejections.confirmed");
  }

  /** A dead letter published on `ops.dead.<byToken>`: its publisher failed a message it was sent. */
  dead(byToken: string, data: Uint8Array, time: number): void {
    const s = this.#state;
    const by = didOfToken(byToken);
    const record = parse<DeadLetterRecord>(data);
    if (!record || !Number.isSafeInteger(record.streamSeq)) return this.#refuse("dead", "malformed");
    if (!s.options.pinnedPublishers) return this.#refuse("dead", "publisher_unproven");
    const m = this.#named(record.stream, record.streamSeq, by);
    // Only a request the publisher was sent (an inbox message its sender chose to send) is the publisher's to fail.
    if (!m || m.refused !== undefined || m.kind !== "inbox") return this.#refuse("dead", "unknown_message");
    if (!s.isAgent(m.from) || !s.isAgent(by)) return;
    if (!s.recent.judge(m)) return this.#refuse("dead", "already_judged");
    s.observe(by, "reliability", m.from, 0, time);
  }

  /** Requests whose reply window closed without a reply count against their recipient's cooperativeness. */
  expire(now: number): void {
    const s = this.#state;
    for (const request of s.pending.expire(now - s.options.replyWindowMs)) {
      s.observe(request.to, "cooperativeness", request.from, 0, now);
    }
  }

  /** The recent message a record names, if it is in the mesh stream and was addressed to the record's publisher. */
  #named(stream: unknown, seq: number, by: string): RecentMessage | undefined {
    if (stream !== undefined && stream !== this.#stream) return undefined;
    const m = this.#state.recent.get(seq);
    return m && m.to === by ? m : undefined;
  }

  /**
   * Whether the message was asked for: the recipient had sent the sender a request (an inbox message, not a reply: an
   * SDK replies in a conversation named after the message it answers) in this conversation first, and this is the
   * sender's first message to it there. One per conversation the recipient opened, so a sender cannot turn one
   * question into a thousand samples at the recipient's trust (nor dilute the recipient's evidence budget with them).
   */
  #asked(env: Envelope, toToken: string, fromToken: string, seq: number): boolean {
    if (typeof env.conversation !== "string") return false;
    const conversations = this.#state.conversations;
    const asked = conversations.first(env.conversation, toToken, fromToken, true);
    return (
      asked !== undefined && asked < seq && conversations.first(env.conversation, fromToken, toToken) === undefined
    );
  }

  /** A message that failed a check: evidence about its publisher when it was dishonest and the publisher is proven. */
  #misbehaved(reason: string, from: string, to: string, time: number): void {
    const s = this.#state;
    s.count(`evidence.refusedMessages.${reason}`);
    if (!DISHONEST.has(reason)) return;
    if (!s.options.pinnedPublishers) return void s.count("evidence.unattributed");
    // The registry saw it itself: a registry observation, not the recipient's (the recipient did nothing deliberate).
    if (s.isAgent(from) && from !== to) s.observe(from, "honesty", undefined, 0, time);
  }

  #refuse(what: string, why: string): void {
    this.#state.count(`evidence.refused.${what}.${why}`);
  }
}
