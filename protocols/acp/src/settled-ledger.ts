import type { ReceiptBody, SeqRange } from "@plexus/core";

/** What this reader's own stored receipts say about one of a sender's direct messages. */
export type SettledStatus = "processed" | "failed" | "delivered";

/**
 * Ranges kept per sender and status. An honest sender's seqs are consecutive (one range however many it sent); a
 * sender that skips seqs on purpose would otherwise cost a range per message, forever, and an O(n) insert each. Past
 * this the lowest ranges are forgotten: those messages are older than the replay window long since, and a copy of one
 * is refused as stale before it gets here.
 */
export const MAX_RANGES_PER_SENDER = 4_096;
/** Senders remembered at once; past this the one noted longest ago is forgotten. */
export const MAX_SENDERS = 100_000;

/** Sorted, merged [first, last] ranges with cheap appends (seqs mostly arrive in order) and binary-search lookups. */
class RangeSet {
  readonly #r: SeqRange[] = [];

  add(a: number, b: number): void {
    const r = this.#r;
    const last = r[r.length - 1];
    if (!last || a > last[1] + 1) {
      r.push([a, b]);
    } else if (a >= last[0]) {
      last[1] = Math.max(last[1], b);
    } else {
      this.#insert(a, b);
    }
    if (r.length > MAX_RANGES_PER_SENDER) r.splice(0, r.length - MAX_RANGES_PER_SENDER);
  }

  /** The general case: merge [a, b] with every range it touches. */
  #insert(a: number, b: number): void {
    const r = this.#r;
    let i = this.#firstEndingAtOrAfter(a - 1);
    let lo = a;
    let hi = b;
    const start = i;
    while (i < r.length && r[i]![0] <= b + 1) {
      lo = Math.min(lo, r[i]![0]);
      hi = Math.max(hi, r[i]![1]);
      i++;
    }
    r.splice(start, i - start, [lo, hi]);
  }

  has(seq: number): boolean {
    const i = this.#firstEndingAtOrAfter(seq);
    return i < this.#r.length && this.#r[i]![0] <= seq;
  }

  #firstEndingAtOrAfter(seq: number): number {
    let lo = 0;
    let hi = this.#r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#r[mid]![1] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface SenderEntry {
  processed: RangeSet;
  failed: RangeSet;
  delivered: RangeSet;
}

/**
 * Which of each sender's direct messages this reader has already settled, as its own signed receipts say: processed
 * (the handler succeeded) or failed (dead-lettered), plus those reported delivered (a handler was running when the
 * receipt was signed). Filled from the receipts stored before a restart (see reader-seed.ts) and from each receipt
 * stored while running, so a message the server hands out again after losing its consumer state is recognised
 * whatever the server remembers. Per sender the seqs of one inbox channel, kept as merged ranges: a sender whose
 * messages were all processed costs one range however many it sent.
 */
export class SettledLedger {
  readonly #senders = new Map<string, SenderEntry>();

  /** Records what one stored receipt to `sender` reports. */
  note(sender: string, body: ReceiptBody): void {
    const e = this.#entry(sender);
    for (const [a, b] of body.processed) e.processed.add(a, b);
    for (const f of body.failed) e.failed.add(f.seq, f.seq);
    for (const [a, b] of body.delivered) e.delivered.add(a, b);
  }

  status(sender: string, seq: number): SettledStatus | undefined {
    const e = this.#senders.get(sender);
    if (!e) return undefined;
    if (e.processed.has(seq)) return "processed";
    if (e.failed.has(seq)) return "failed";
    if (e.delivered.has(seq)) return "delivered";
    return undefined;
  }

  /** The sender's entry, moved to the end of the map (most recently noted), so the oldest is evicted first. */
  #entry(sender: string): SenderEntry {
    let e = this.#senders.get(sender);
    if (e) this.#senders.delete(sender);
    else e = { processed: new RangeSet(), failed: new RangeSet(), delivered: new RangeSet() };
    this.#senders.set(sender, e);
    if (this.#senders.size > MAX_SENDERS) this.#senders.delete(this.#senders.keys().next().value!);
    return e;
  }
}
