/**
 * Does a running sealer keep up with the mesh log? A pure judge of samples (time, chain head, log end), so the rule is
 * one place and testable without a clock.
 *
 * Two ways to stall, each said with its reason:
 * - stuck: events wait to be sealed (lag > 0) and the chain's head has not moved for `stuckMs` (default 10 s). This is
 *   the silent stop of issue 13 (a reader that lost its log, appends that never land): whatever the cause, nothing is
 *   being sealed while there is something to seal.
 * - behind ("cannot keep up"): the lag is at least `maxLag` events (default 50,000) and has not come down below where
 *   it was for `behindMs` (default 30 s): the mesh writes faster than this sealer seals.
 * Both clear by themselves when the condition ends (the lag falls under `maxLag`; the head moves steadily again): the
 * sealer keeps trying. Stuck clears with some hysteresis, so that a head moving once every `stuckMs` or so does not
 * flap between stalled and recovered: when nothing waits any more, or once the head has kept moving for `stuckMs`/2,
 * never standing still longer than that. A refused history stream or a fork is not judged here: those stop the sealer
 * for good (sealer.ts).
 */

export interface KeepUpOptions {
  /** A head that has not moved this long while events wait is stuck (ms; default 10 s). */
  stuckMs?: number;
  /** A lag of this many events or more... (default 50,000) */
  maxLag?: number;
  /** ...that has not come down for this long is behind (ms; default 30 s). */
  behindMs?: number;
}

export interface KeepUpStall {
  kind: "stuck" | "behind";
  reason: string;
  lag: number;
}

export const DEFAULT_STUCK_MS = 10_000;
export const DEFAULT_MAX_LAG = 50_000;
export const DEFAULT_BEHIND_MS = 30_000;

export class KeepUpJudge {
  readonly #stuckMs: number;
  readonly #maxLag: number;
  readonly #behindMs: number;
  /** The head size last seen, and since when events have waited behind it (the first sample that saw them). */
  #head: { size: number; at: number; waiting: boolean } | undefined;
  /** While the lag is at least maxLag: the lowest lag seen since `at` (a lower one restarts the window). */
  #window: { lag: number; at: number } | undefined;
  /** Judged stuck, and not cleared yet: since when the head has moved steadily again (none: it has not). */
  #stuck: { recovering?: { since: number; lastMove: number } } | undefined;

  constructor(o: KeepUpOptions = {}) {
    this.#stuckMs = o.stuckMs ?? DEFAULT_STUCK_MS;
    this.#maxLag = Math.max(1, o.maxLag ?? DEFAULT_MAX_LAG);
    this.#behindMs = o.behindMs ?? DEFAULT_BEHIND_MS;
  }

  /** One sample: the verdict now (undefined: keeping up). */
  sample(now: number, headSize: number, logEnd: number): KeepUpStall | undefined {
    const lag = Math.max(0, logEnd - headSize);
    const moved = this.#head !== undefined && headSize !== this.#head.size;
    if (lag === 0 || !this.#head || moved) this.#head = { size: headSize, at: now, waiting: lag > 0 };
    else if (!this.#head.waiting) this.#head = { size: headSize, at: now, waiting: true };
    if (lag < this.#maxLag) this.#window = undefined;
    else if (!this.#window || lag < this.#window.lag) this.#window = { lag, at: now };

    const still = now - this.#head.at;
    if (lag > 0 && still >= this.#stuckMs) {
      this.#stuck = {};
      return {
        kind: "stuck",
        lag,
        reason: `no progress: ${lag} events wait and the chain's head has stayed at ${headSize} for ${Math.round(still / 1000)} s`,
      };
    }
    const steady = this.#stuckMs / 2;
    if (this.#stuck && lag === 0) this.#stuck = undefined;
    else if (this.#stuck) {
      const r = this.#stuck.recovering;
      if (moved)
        this.#stuck.recovering =
          r && now - r.lastMove < steady ? { since: r.since, lastMove: now } : { since: now, lastMove: now };
      const rec = this.#stuck.recovering;
      if (rec && now - rec.since >= steady && now - rec.lastMove < steady) this.#stuck = undefined;
      else {
        return {
          kind: "stuck",
          lag,
          reason: `no steady progress: ${lag} events wait; the chain's head moved to ${headSize} after standing still, and has not kept moving for ${Math.round(steady / 1000)} s yet`,
        };
      }
    }
    if (this.#window && now - this.#window.at >= this.#behindMs) {
      return {
        kind: "behind",
        lag,
        reason: `cannot keep up: ${lag} events behind the mesh log (at least ${this.#maxLag}) and not coming down for ${Math.round((now - this.#window.at) / 1000)} s`,
      };
    }
    return undefined;
  }
}
