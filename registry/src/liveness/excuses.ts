/**
 * When an agent's silence counts against it. A heartbeat that never reached the registry is the agent's fault only if
 * the registry could read the bucket and other agents' beats were getting through. Two gaps are not the agent's:
 *
 * - the registry's own: it could not read heartbeats (its watch stalled or ended, its connection dropped, JetStream had
 *   no leader for the bucket). The monitor says so with `blind()` and `recovered()`; nobody is judged in between;
 * - a gap common to all: no present agent's beat arrived for `quietMs` (half the suspect threshold by default, so that
 *   the gap is noticed before any agent's silence, which is at most quietMs + one beat interval, reaches it; with the
 *   default thresholds of 3 beats: 2.5 intervals < 3). Needs at least `minAgents` agents that were alive: with one its
 *   own death and the cluster's outage look alike (a dead agent must still be marked), and agents already offline or
 *   gone stopped before the gap.
 *
 * After either gap, silences count from the recovery (the first beat after a common gap, the moment a fresh watch has
 * read the bucket after a blind one), never from before the outage. A common gap excuses at most `maxExcusedMs`
 * (default 2 min): past that every agent really stopped (a whole fleet shut down), and they are judged as usual.
 * On a 3-server cluster (issue 14) agents were marked suspect and lost reliability for a 20–45 s outage, and a frozen
 * watch (~21 s) wrote false suspect events; this is the rule that stops both. Pure: no I/O, no clock of its own.
 */
import type { Liveness } from "@plexus/anp";
import { livenessAfter, type LivenessThresholds } from "./thresholds.js";

export interface ExcuseOptions {
  /** No present agent's beat for this long is a gap common to all (default suspectAfterMs / 2). */
  quietMs?: number;
  /** A common gap excuses at most this long (default 120 s). */
  maxExcusedMs?: number;
  /** Fewest alive agents for the common-gap rule (default 2). */
  minAgents?: number;
}

export const DEFAULT_MAX_EXCUSED_MS = 120_000;

export class SilenceExcuses {
  readonly #quietMs: number;
  readonly #maxExcusedMs: number;
  readonly #minAgents: number;
  #blindSince: number | undefined;
  /** Silences count from here at the earliest. */
  #floor = 0;
  /** The newest beat read (any agent). */
  #newest = 0;

  constructor(t: Pick<LivenessThresholds, "suspectAfterMs">, o: ExcuseOptions = {}) {
    this.#quietMs = o.quietMs ?? t.suspectAfterMs / 2;
    this.#maxExcusedMs = o.maxExcusedMs ?? DEFAULT_MAX_EXCUSED_MS;
    this.#minAgents = o.minAgents ?? 2;
  }

  get blind(): boolean {
    return this.#blindSince !== undefined;
  }

  /** Silences count from here at the earliest (the last recovery). */
  get floor(): number {
    return this.#floor;
  }

  /** The registry cannot read heartbeats from `now` on (the first call counts). */
  lost(now: number): void {
    this.#blindSince ??= now;
  }

  /** The registry reads heartbeats again (a fresh watch has read the bucket): silences count from `now`. */
  recovered(now: number): void {
    if (this.#blindSince === undefined) return;
    this.#blindSince = undefined;
    this.#floor = Math.max(this.#floor, now);
  }

  /** A beat stored at `at` was read. The first after a quiet of at least `quietMs` ends a common gap. */
  beat(at: number): void {
    if (this.#newest > 0 && at - this.#newest >= this.#quietMs) this.#floor = Math.max(this.#floor, at);
    if (at > this.#newest) this.#newest = at;
  }

  /**
   * The time silences count from at `now`, or undefined while nobody may be judged. `alive` is the number of present
   * agents judged alive, `newestPresent` the newest beat (or join) among the present agents.
   */
  floorAt(now: number, alive: number, newestPresent: number): number | undefined {
    if (this.#blindSince !== undefined) return undefined;
    const quiet = alive >= this.#minAgents && now - newestPresent >= this.#quietMs;
    if (quiet && now - newestPresent < this.#maxExcusedMs) return undefined;
    return this.#floor;
  }
}

export interface Judged {
  did: string;
  /** The agent's last heartbeat (or its join): what its LivenessChanged records. */
  since: number;
  liveness: Liveness;
}

export interface Transition {
  did: string;
  from: Liveness;
  to: Liveness;
  since: number;
}

const RANK: Record<Liveness, number> = { alive: 0, suspect: 1, offline: 2, gone: 3 };

/**
 * The transitions `now` calls for among the present agents. A worse state is measured from max(last beat, floor); a
 * better one only from the last beat (a recovery excuses silence, it never revives an agent that stopped).
 */
export function judge(
  now: number,
  agents: readonly Judged[],
  excuses: SilenceExcuses,
  t: LivenessThresholds,
): Transition[] {
  // Only agents that were alive tell of a common gap: one already offline or gone stopped before it.
  let newest = 0;
  let alive = 0;
  for (const a of agents) {
    newest = Math.max(newest, a.since);
    if (a.liveness === "alive") alive += 1;
  }
  const floor = excuses.floorAt(now, alive, newest);
  if (floor === undefined) return [];
  const out: Transition[] = [];
  for (const a of agents) {
    const real = livenessAfter(now - a.since, t);
    const excused = livenessAfter(now - Math.max(a.since, floor), t);
    const to = RANK[real] < RANK[a.liveness] ? real : RANK[excused] > RANK[a.liveness] ? excused : a.liveness;
    if (to !== a.liveness) out.push({ did: a.did, from: a.liveness, to, since: a.since });
  }
  return out;
}
