/**
 * Direct messages that opened a conversation and wait for the recipient's reply, in log order. Log time drives
 * expiry: a request unanswered `windowMs` after it was stored counts against the recipient's cooperativeness.
 * Bounded: beyond `max`, the oldest request is dropped without judging anyone. Keyed by requester and id: ids are
 * chosen by senders, so one sender's id never stands for another's request.
 */
export const MAX_PENDING_REQUESTS = 100_000;

export interface PendingRequest {
  id: string;
  /** Requester and recipient DIDs. */
  from: string;
  to: string;
  at: number;
}

export type PendingSnapshot = PendingRequest[];

export class PendingRequests {
  readonly #byId = new Map<string, PendingRequest>();
  /**
   * The requests in log order, answered ones included until passed: the oldest live one is found without walking the
   * Map from its front, which after many deletions there visits every slot V8 has not compacted yet.
   */
  #queue: PendingRequest[] = [];
  #head = 0;
  readonly #max: number;

  constructor(max = MAX_PENDING_REQUESTS) {
    this.#max = max;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(request: PendingRequest): void {
    const key = keyOf(request.from, request.id);
    if (this.#byId.has(key)) return;
    if (this.#byId.size >= this.#max) {
      const oldest = this.#oldest();
      if (oldest) this.#byId.delete(keyOf(oldest.from, oldest.id));
    }
    this.#byId.set(key, request);
    this.#queue.push(request);
  }

  /** Removes and returns the request `id` that `requester` sent, if `by` is the one it was addressed to. */
  answer(requester: string, id: string, by: string): PendingRequest | undefined {
    const key = keyOf(requester, id);
    const request = this.#byId.get(key);
    if (!request || request.to !== by) return undefined;
    this.#byId.delete(key);
    return request;
  }

  /** Removes and returns the requests stored before `cutoff` (insertion order is log order). */
  *expire(cutoff: number): Generator<PendingRequest> {
    for (let request = this.#oldest(); request !== undefined && request.at < cutoff; request = this.#oldest()) {
      this.#byId.delete(keyOf(request.from, request.id));
      yield request;
    }
  }

  /** The oldest request still pending (answered and dropped ones at the front of the queue are passed for good). */
  #oldest(): PendingRequest | undefined {
    const q = this.#queue;
    while (this.#head < q.length) {
      const r = q[this.#head] as PendingRequest;
      if (this.#byId.get(keyOf(r.from, r.id)) === r) {
        if (this.#head > 65_536 && this.#head * 2 > q.length) {
          this.#queue = q.slice(this.#head);
          this.#head = 0;
        }
        return r;
      }
      this.#head += 1;
    }
    this.#queue = [];
    this.#head = 0;
    return undefined;
  }

  toJSON(): PendingSnapshot {
    return [...this.#byId.values()];
  }

  static fromJSON(snapshot: PendingSnapshot, max = MAX_PENDING_REQUESTS): PendingRequests {
    const pending = new PendingRequests(max);
    for (const r of snapshot) pending.add(r);
    return pending;
  }
}

function keyOf(requester: string, id: string): string {
  return `${requester}|${id}`;
}
