import { Defaults, type Envelope } from "@plexus/core";

/** How an envelope stands in its sender's channel as this reader has seen it. */
export type OrderStatus = "in-order" | "first-seen" | "gap" | "reordered" | "chain-broken";

export interface OrderInfo {
  status: OrderStatus;
  /** The seq this reader expected next on the channel, when it knew one. */
  expected?: number;
}

export type ReplayVerdict =
  | { replay: false; redelivery: boolean; order: OrderInfo }
  | { replay: true; detail: string };

interface Seen {
  streamSeq: number;
  at: number;
}

interface ChannelHead {
  seq: number;
  hash: string;
}

/**
 * A reader's memory of what it has already been given. An envelope id seen before at another stream position is a
 * replay (a re-published copy); the same position again is a redelivery. Ids are remembered for the clock-skew
 * window: older copies are refused as stale by checkInbound before they get here.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, Seen>();
  readonly #heads = new Map<string, ChannelHead>();
  readonly #windowMs: number;
  #lastSweep = 0;

  constructor(windowMs: number = Defaults.maxClockSkewMs * 2) {
    this.#windowMs = windowMs;
  }

  check(envelope: Envelope, hash: string, streamSeq: number, channel: string, now: number = Date.now()): ReplayVerdict {
    this.#sweep(now);
    const seen = this.#seen.get(envelope.id);
    if (seen && seen.streamSeq !== streamSeq) {
      return { replay: true, detail: `id ${envelope.id} was already delivered at stream position ${seen.streamSeq}` };
    }
    if (!seen) this.#seen.set(envelope.id, { streamSeq, at: now });
    const order = this.#order(envelope, hash, `${envelope.from}|${channel}`, seen !== undefined);
    return { replay: false, redelivery: seen !== undefined, order };
  }

  #order(envelope: Envelope, hash: string, key: string, again: boolean): OrderInfo {
    const head = this.#heads.get(key);
    if (!head) {
      this.#heads.set(key, { seq: envelope.seq, hash });
      return { status: "first-seen" };
    }
    const expected = head.seq + 1;
    if (envelope.seq < expected) return { status: again ? "in-order" : "reordered", expected };
    this.#heads.set(key, { seq: envelope.seq, hash });
    if (envelope.seq > expected) return { status: "gap", expected };
    return { status: envelope.prev === head.hash ? "in-order" : "chain-broken", expected };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 1_000) return;
    this.#lastSweep = now;
    for (const [id, seen] of this.#seen) {
      if (now - seen.at <= this.#windowMs) break;
      this.#seen.delete(id);
    }
  }
}
