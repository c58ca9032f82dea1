/**
 * How far a log follower is behind the log's end, in events and in seconds. The end is only known when it is read
 * (stream info, every second or so), so "seconds behind" is the age of the oldest end this follower has learnt of and
 * not yet applied: under steady load a follower that keeps up applies each sampled end before the next sample (lag
 * under a second), while a follower that stopped (the issue-14 failure: 40–100 s stalled after a server restart, with
 * /readyz still ready) sees that age grow with the wall clock. Pure bookkeeping, no I/O, so it can be tested alone.
 */

/** The follower's lag as /v1/status shows it. */
export interface FollowerLag {
  /** Events in the log after the last one applied (by the last known end). */
  events: number;
  /** Seconds since the follower learnt of the oldest event it has not yet applied (0 when current). */
  seconds: number;
  /** The log's last sequence as last read (or as far as the follower has read, if further). */
  end: number;
  /** The last sequence applied to the state. */
  applied: number;
  /**
   * Seconds since the log's end was last read (undefined until a reading succeeds, or when nothing reads it). A node
   * that cannot read the end (no stream leader, the cluster without quorum) cannot know it is current.
   */
  endReadSeconds?: number;
}

/** Samples kept at most (one a second: an hour of a stalled follower; the oldest are the ones that count). */
const MAX_SAMPLES = 3_600;

export class LagMeter {
  #end = 0;
  #readAt: number | undefined;
  /** (end, when it was learnt), oldest first; only ends not yet applied. */
  #samples: { end: number; at: number }[] = [];

  /** `readAt`: when `end` was read, if it was (a follower started from a reading of the log's end). */
  constructor(end = 0, readAt?: number) {
    this.#end = end;
    this.#readAt = readAt;
  }

  get end(): number {
    return this.#end;
  }

  /** The log's end as read at `at`. */
  sawEnd(end: number, at: number): void {
    this.#readAt = Math.max(this.#readAt ?? at, at);
    if (end > this.#end) this.#end = end;
    const last = this.#samples[this.#samples.length - 1];
    if (last !== undefined && last.end >= end) return;
    if (this.#samples.length >= MAX_SAMPLES) this.#samples.pop();
    this.#samples.push({ end, at });
  }

  /** The lag at `now` of a follower that has applied up to `applied`. */
  lag(applied: number, now: number): FollowerLag {
    const end = Math.max(this.#end, applied);
    while (this.#samples.length > 0 && (this.#samples[0] as { end: number }).end <= applied) this.#samples.shift();
    const oldest = this.#samples[0];
    const seconds = oldest === undefined ? 0 : Math.max(0, now - oldest.at) / 1000;
    const lag: FollowerLag = { events: end - applied, seconds: Math.round(seconds * 10) / 10, end, applied };
    if (this.#readAt !== undefined) lag.endReadSeconds = Math.round(Math.max(0, now - this.#readAt) / 100) / 10;
    return lag;
  }
}
