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
  readonly #max: number;

  constructor(max = MAX_PENDING_REQUESTS) {
    this.#max = max;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(request: PendingRequest): void {
    if (this.#byId.size >= this.#max) {
      const oldest = this.#byId.keys().next();
      if (!oldest.done) this.#byId.delete(oldest.value);
    }
    this.#byId.set(keyOf(request.from, request.id), request);
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
    for (const [key, request] of this.#byId) {
      if (request.at >= cutoff) return;
      this.#byId.delete(key);
      yield request;
    }
  }

  toJSON(): PendingSnapshot {
    return [...this.#byId.values()];
  }

  static fromJSON(snapshot: PendingSnapshot, max = MAX_PENDING_REQUESTS): PendingRequests {
    const pending = new PendingRequests(max);
    for (const r of snapshot) pending.#byId.set(keyOf(r.from, r.id), r);
    return pending;
  }
}

function keyOf(requester: string, id: string): string {
  return `${requester}|${id}`;
}
