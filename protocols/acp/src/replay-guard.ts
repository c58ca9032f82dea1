import { Defaults, type Envelope } from "@plexus/core";

/** How an envelope stands in its sender's channel as this reader has seen it. */
export type OrderStatus = "in-order" | "first-seen" | "gap" | "reordered" | "chain-broken";

export interface OrderInfo {
  status: OrderStatus;
  /** The seq this reader expected next on the channel, when it knew one. */
  expected?: number;
}

export type ReplayVerdict =
  /** `known`: this envelope was known at this stream position before (handed over, or remembered from the stream). */
  { replay: false; redelivery: boolean; known: boolean; order: OrderInfo } | { replay: true; detail: string };

/**
 * Where an envelope was stored: a stream position, named with its stream when a reader reads more than one (topic
 * durables read the topic stream in operator mode, whose positions are not the mesh stream's).
 */
export type Position = number | string;

interface Seen {
  streamSeq: Position;
  at: number;
  /** Handed to this reader's caller (false: only remembered from the stream at start, see reader-seed.ts). */
  handed: boolean;
}

interface ChannelHead {
  seq: number;
  hash: string;
}

/**
 * A reader's memory of what it has already been given. An envelope id of a sender seen before at another stream
 * position is a replay (a re-published copy); the same position again is a redelivery. Ids are remembered per sender:
 * an id is the sender's own choice, so another member reusing it (copied off a topic) must not make the sender's real
 * envelope look like a replay. So is a second envelope with the same
 * sender, channel and seq at another position (a re-signed copy, or a sender forking its channel). Ids and seqs are
 * remembered for the clock-skew window: older copies are refused as stale by checkInbound before they get here.
 * After a restart the memory is seeded from the stream (`remember`, see reader-seed.ts), so a replay stored just
 * before or after the restart is still recognised.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, Seen>();
  /** `${from}|${channel}` → seq → where that envelope was stored. */
  readonly #bySeq = new Map<string, Map<number, Seen>>();
  readonly #heads = new Map<string, ChannelHead>();
  readonly #windowMs: number;
  #lastSweep = 0;

  constructor(windowMs: number = Defaults.maxClockSkewMs * 2) {
    this.#windowMs = windowMs;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  check(
    envelope: Envelope,
    hash: string,
    streamSeq: Position,
    channel: string,
    now: number = Date.now(),
  ): ReplayVerdict {
    this.#sweep(now);
    const id = `${envelope.from}|${envelope.id}`;
    const seen = this.#seen.get(id);
    if (seen && seen.streamSeq !== streamSeq) {
      return { replay: true, detail: `id ${envelope.id} was already delivered at stream position ${seen.streamSeq}` };
    }
    const key = `${envelope.from}|${channel}`;
    const seqs = this.#seqs(key);
    const sameSeq = seqs.get(envelope.seq);
    if (sameSeq && sameSeq.streamSeq !== streamSeq) {
      return {
        replay: true,
        detail: `seq ${envelope.seq} of this sender's channel was already stored at stream position ${sameSeq.streamSeq}`,
      };
    }
    const handedBefore = seen?.handed === true;
    if (seen) seen.handed = true;
    else this.#seen.set(id, { streamSeq, at: now, handed: true });
    if (!sameSeq) seqs.set(envelope.seq, { streamSeq, at: now, handed: true });
    const order = this.#order(envelope, hash, key, handedBefore);
    return { replay: false, redelivery: handedBefore, known: seen !== undefined, order };
  }

  /**
   * Remembers an envelope found in the stream at start (verified, not handed over): a later copy at another position
   * is a replay. `handled`: it is behind the consumer's ack floor, so it also sets its channel's head.
   */
  remember(
    envelope: Envelope,
    hash: string,
    streamSeq: Position,
    channel: string,
    handled: boolean,
    now: number = Date.now(),
  ): void {
    const id = `${envelope.from}|${envelope.id}`;
    if (!this.#seen.has(id)) this.#seen.set(id, { streamSeq, at: now, handed: false });
    const key = `${envelope.from}|${channel}`;
    const seqs = this.#seqs(key);
    if (!seqs.has(envelope.seq)) seqs.set(envelope.seq, { streamSeq, at: now, handed: false });
    if (!handled) return;
    const head = this.#heads.get(key);
    if (!head || envelope.seq > head.seq) this.#heads.set(key, { seq: envelope.seq, hash });
  }

  #seqs(key: string): Map<number, Seen> {
    let seqs = this.#bySeq.get(key);
    if (!seqs) {
      seqs = new Map();
      this.#bySeq.set(key, seqs);
    }
    return seqs;
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
    this.#expire(this.#seen, now);
    for (const [key, seqs] of this.#bySeq) {
      this.#expire(seqs, now);
      if (seqs.size === 0) this.#bySeq.delete(key);
    }
  }

  /** Entries are in insertion order, so the first one still fresh ends the sweep. */
  #expire<K>(map: Map<K, Seen>, now: number): void {
    for (const [key, seen] of map) {
      if (now - seen.at <= this.#windowMs) break;
      map.delete(key);
    }
  }
}
