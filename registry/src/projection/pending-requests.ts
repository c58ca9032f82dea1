/**
 * Direct messages that opened a conversation and wait for the recipient's reply, in log order. Log time drives
 * expiry: a request unanswered `windowMs` after it was stored counts against the recipient's cooperativeness.
 * Bounded: beyond `max`, the oldest request is dropped without judging anyone.
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
    this.#byId.set(request.id, request);
  }

  /** Removes and returns the request `id` if `by` is the one it was addressed to. */
  answer(id: string, by: string): PendingRequest | undefined {
    const request = this.#byId.get(id);
    if (!request || request.to !== by) return undefined;
    this.#byId.delete(id);
    return request;
  }

  /** Removes and returns the requests stored before `cutoff` (insertion order is log order). */
  *expire(cutoff: number): Generator<PendingRequest> {
    for (const [id, request] of this.#byId) {
      if (request.at >= cutoff) return;
      this.#byId.delete(id);
      yield request;
    }
  }

  toJSON(): PendingSnapshot {
    return [...this.#byId.values()];
  }

  static fromJSON(snapshot: PendingSnapshot, max = MAX_PENDING_REQUESTS): PendingRequests {
    const pending = new PendingRequests(max);
    for (const r of snapshot) pending.#byId.set(r.id, r);
    return pending;
  }
}
