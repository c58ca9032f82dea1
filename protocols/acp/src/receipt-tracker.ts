import {
  ErrorCode,
  MessageType,
  PlexusError,
  validateReceiptBody,
  type Envelope,
  type ReceiptBody,
} from "@plexus/core";
import { rangeMembership, seqsToMatch } from "./seq-ranges.js";

export type ReceiptStatus = "delivered" | "processed" | "failed";

export interface Receipt {
  /** The message this receipt is about. */
  id: string;
  status: ReceiptStatus;
  /** The DID that signed the receipt. */
  by: string;
  /** The receipt envelope's id and time. */
  receiptId: string;
  at: number;
  reason?: string;
  attempts?: number;
}

interface Watched {
  id: string;
  to: string;
  seq: number;
  latest?: Receipt;
  waiters: { want: ReceiptStatus; resolve: (r: Receipt) => void }[];
}

const RANK: Record<ReceiptStatus, number> = { delivered: 1, processed: 2, failed: 2 };
const KEEP_FINISHED = 10_000;
/** Messages watched at once; past this the oldest one still without a final receipt is forgotten (its waiters time out). */
export const MAX_WATCHED = 100_000;

/**
 * The sender's side of receipts: remembers what it sent (recipient and seq) and matches cumulative, signed receipts
 * back to message ids. `wait(id)` resolves with the first receipt at or past the wanted status.
 */
export class ReceiptTracker {
  readonly #byId = new Map<string, Watched>();
  readonly #bySeq = new Map<string, Watched>();
  /** The same entries by recipient, so a receipt is matched against what was sent to its signer only. */
  readonly #byTo = new Map<string, Map<number, Watched>>();
  readonly #finished: string[] = [];

  /** Registers a sent direct message so its receipts can be matched. */
  expect(id: string, to: string, seq: number): void {
    const w: Watched = { id, to, seq, waiters: [] };
    this.#byId.set(id, w);
    this.#bySeq.set(`${to}|${seq}`, w);
    let of = this.#byTo.get(to);
    if (!of) this.#byTo.set(to, (of = new Map()));
    of.set(seq, w);
    if (this.#bySeq.size > MAX_WATCHED) this.#forgetOldest();
  }

  /** A sender whose recipients never answer must not grow without bound: drop the oldest unanswered message. */
  #forgetOldest(): void {
    const [, oldest] = this.#bySeq.entries().next().value!;
    this.#unwatch(oldest);
    this.#byId.delete(oldest.id);
  }

  /** Messages still waiting for a final receipt. */
  get watching(): number {
    return this.#bySeq.size;
  }

  latest(id: string): Receipt | undefined {
    return this.#byId.get(id)?.latest;
  }

  wait(id: string, want: ReceiptStatus, timeoutMs: number): Promise<Receipt> {
    const w = this.#byId.get(id);
    if (!w)
      return Promise.reject(
        new PlexusError(ErrorCode.InvalidArgument, `message ${id} was not sent by this agent since it started`),
      );
    if (w.latest && RANK[w.latest.status] >= RANK[want]) return Promise.resolve(w.latest);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        w.waiters = w.waiters.filter((x) => x.resolve !== done);
        reject(
          new PlexusError(ErrorCode.Timeout, `no ${want} receipt for ${id} from ${w.to} within ${timeoutMs} ms`, {
            details: { id, to: w.to, latest: w.latest?.status ?? null },
          }),
        );
      }, timeoutMs);
      const done = (r: Receipt) => {
        clearTimeout(timer);
        resolve(r);
      };
      w.waiters.push({ want, resolve: done });
    });
  }

  /**
   * Applies a receipt envelope that the reader accepted. Returns false when its body is not a receipt. The work is
   * bounded by what was sent to the receipt's signer, whatever ranges the receipt claims (a hostile recipient could
   * claim [1, 2^53]).
   */
  apply(envelope: Envelope): boolean {
    if (envelope.type !== MessageType.Receipt || !validateReceiptBody(envelope.body)) return false;
    const body: ReceiptBody = envelope.body;
    const base = { by: envelope.from, receiptId: envelope.id, at: envelope.ts };
    for (const f of body.failed)
      this.#update(envelope.from, f.seq, { ...base, status: "failed", reason: f.reason, attempts: f.attempts });
    const processed = rangeMembership(body.processed);
    const delivered = rangeMembership(body.delivered);
    for (const seq of seqsToMatch([body.processed, body.delivered], this.#byTo.get(envelope.from))) {
      if (processed(seq)) this.#update(envelope.from, seq, { ...base, status: "processed" });
      else if (delivered(seq)) this.#update(envelope.from, seq, { ...base, status: "delivered" });
    }
    return true;
  }

  #update(from: string, seq: number, r: Omit<Receipt, "id">): void {
    const w = this.#bySeq.get(`${from}|${seq}`);
    if (!w) return;
    if (w.latest && RANK[w.latest.status] > RANK[r.status]) return;
    w.latest = { ...r, id: w.id };
    const still: Watched["waiters"] = [];
    for (const x of w.waiters) RANK[r.status] >= RANK[x.want] ? x.resolve(w.latest) : still.push(x);
    w.waiters = still;
    if (RANK[r.status] === 2) this.#retire(w);
  }

  #unwatch(w: Watched): void {
    this.#bySeq.delete(`${w.to}|${w.seq}`);
    const of = this.#byTo.get(w.to);
    of?.delete(w.seq);
    if (of?.size === 0) this.#byTo.delete(w.to);
  }

  /** Keeps the final status of the last KEEP_FINISHED messages for late `wait` calls, and forgets older ones. */
  #retire(w: Watched): void {
    this.#unwatch(w);
    this.#finished.push(w.id);
    if (this.#finished.length > KEEP_FINISHED) this.#byId.delete(this.#finished.shift()!);
  }
}
