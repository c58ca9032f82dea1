/**
 * The direct messages (inbox, reply) the registry read from the log most recently, each with the registry's own
 * verdict on it: what receipts, dead letters and rejection records are checked against. A record that names a
 * message the registry no longer holds (or never read) cannot be checked, so it counts for nothing.
 *
 * Bounded by count in log order (`max`, default 50,000): the oldest message is forgotten first, so the memory, like
 * everything in the projection, is a function of the log alone, and goes into snapshots as is.
 */
export const MAX_RECENT_MESSAGES = 50_000;
/**
 * Most messages waiting for a receipt on one sender → reader channel: a receipt is matched against at most this many
 * (beyond it, the oldest waits no more), so a receipt with wide ranges that matches nothing costs little, however often
 * it comes.
 */
export const MAX_WAITING_PER_CHANNEL = 1_024;

export interface RecentMessage {
  /** Mesh stream sequence. */
  seq: number;
  kind: "inbox" | "reply";
  /** The publisher and the target as the subject names them (DIDs). */
  from: string;
  to: string;
  /** The registry's verdict: undefined when the message passed every check a reader makes, else the rejection reason. */
  refused?: string;
  /** The envelope's id and channel seq, when it passed. */
  id?: string;
  envSeq?: number;
  /** An inbox message its recipient asked for: the sender's first in a conversation the recipient opened to it. */
  solicited: boolean;
  /** A receipt, dead letter or rejection record about it has been counted: each message is judged once. */
  judged?: boolean;
  /**
   * It waits for a receipt (the first unjudged inbox message that passed with its channel seq). Kept in snapshots as
   * is, so a restored node waits for exactly what the node that wrote it did.
   */
  waiting?: boolean;
}

export type RecentSnapshot = RecentMessage[];

export class RecentMessages {
  readonly #bySeq = new Map<number, RecentMessage>();
  /**
   * The same messages in log order, as a ring: the oldest is found in O(1). (Finding it with `Map#keys().next()` after
   * many deletions at the front walks every deleted slot V8 has not compacted yet: tens of thousands per message.)
   */
  readonly #ring: (RecentMessage | undefined)[];
  #head = 0;
  /** Inbox messages that passed and wait for their receipt: `${from}>${to}` → envelope seq → stream seq. */
  readonly #awaiting = new Map<string, Map<number, number>>();
  /** First stream seq of each passed message id per channel: `${to}|${from}|${id}`, for replays. */
  readonly #firstCopy = new Map<string, number>();
  readonly #max: number;

  constructor(max = MAX_RECENT_MESSAGES) {
    this.#max = max;
    this.#ring = new Array<RecentMessage | undefined>(max);
  }

  get size(): number {
    return this.#bySeq.size;
  }

  get(seq: number): RecentMessage | undefined {
    return this.#bySeq.get(seq);
  }

  /** The stream seq of an earlier copy of this envelope id on the same channel, if one passed. */
  earlierCopy(to: string, from: string, id: string): number | undefined {
    return this.#firstCopy.get(`${to}|${from}|${id}`);
  }

  /** Adds the next message read from the log (`restored`: from a snapshot, `waiting` as recorded there). */
  add(m: RecentMessage, restored = false): void {
    const slot = (this.#head + this.#bySeq.size) % this.#max;
    if (this.#bySeq.size >= this.#max) {
      this.#forget(this.#ring[this.#head] as RecentMessage);
      this.#head = (this.#head + 1) % this.#max;
    }
    this.#ring[slot] = m;
    this.#bySeq.set(m.seq, m);
    if (m.refused !== undefined || m.id === undefined) return;
    const copy = `${m.to}|${m.from}|${m.id}`;
    if (!this.#firstCopy.has(copy)) this.#firstCopy.set(copy, m.seq);
    if (m.kind !== "inbox" || m.envSeq === undefined || m.judged) return;
    const pair = `${m.from}>${m.to}`;
    let waiting = this.#awaiting.get(pair);
    if (restored ? m.waiting !== true : waiting?.has(m.envSeq) === true) return;
    if (!waiting) this.#awaiting.set(pair, (waiting = new Map()));
    if (waiting.size >= MAX_WAITING_PER_CHANNEL) {
      const oldest = this.#bySeq.get(waiting.values().next().value as number);
      if (oldest) this.#unwait(oldest);
    }
    waiting.set(m.envSeq, m.seq);
    m.waiting = true;
  }

  /** The inbox messages from → to that passed and still wait for a receipt, by envelope seq. */
  awaiting(from: string, to: string): ReadonlyMap<number, number> | undefined {
    return this.#awaiting.get(`${from}>${to}`);
  }

  /** Marks a message judged (a receipt, dead letter or record counted for it); false when it already was. */
  judge(m: RecentMessage): boolean {
    if (m.judged) return false;
    m.judged = true;
    if (m.envSeq !== undefined) this.#unwait(m);
    return true;
  }

  /** In log order (the order `add` was called in). */
  toJSON(): RecentSnapshot {
    const out: RecentMessage[] = [];
    for (let i = 0; i < this.#bySeq.size; i++) out.push(this.#ring[(this.#head + i) % this.#max] as RecentMessage);
    return out;
  }

  static fromJSON(snapshot: RecentSnapshot, max = MAX_RECENT_MESSAGES): RecentMessages {
    const recent = new RecentMessages(max);
    for (const m of snapshot) recent.add({ ...m }, true);
    return recent;
  }

  #forget(m: RecentMessage): void {
    this.#ring[this.#head] = undefined;
    this.#bySeq.delete(m.seq);
    if (m.id !== undefined) {
      const copy = `${m.to}|${m.from}|${m.id}`;
      if (this.#firstCopy.get(copy) === m.seq) this.#firstCopy.delete(copy);
    }
    if (m.envSeq !== undefined) this.#unwait(m);
  }

  #unwait(m: RecentMessage): void {
    const pair = `${m.from}>${m.to}`;
    const waiting = this.#awaiting.get(pair);
    if (waiting?.get(m.envSeq as number) !== m.seq) return;
    m.waiting = false;
    waiting.delete(m.envSeq as number);
    if (waiting.size === 0) this.#awaiting.delete(pair);
  }
}
