/**
 * The liveness rule under outages, as properties (fast-check) of the pure rule the monitor runs (excuses.ts): for
 * random beat schedules with an injected outage (the registry blind for a while, or every agent's beats lost), no
 * agent that beat on schedule outside the outage is ever marked suspect or worse; an agent that really stopped is
 * still marked (so the rule cannot pass by marking nobody). Simulated time, no server: the monitor's I/O (the watch,
 * its restarts) is covered by the cluster test (liveness-cluster.test.ts).
 */
import type { Liveness } from "@plexus/anp";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judge, SilenceExcuses, type Judged } from "../src/liveness/excuses.js";
import type { LivenessThresholds } from "../src/liveness/thresholds.js";

const I = 1_000;
const T: LivenessThresholds = { suspectAfterMs: 3 * I, offlineAfterMs: 6 * I, goneAfterMs: 60 * I };
const TICK = 250;

interface Scenario {
  /** Per agent: beat phase, and when it stops for good (undefined: never). */
  agents: { phase: number; diesAt: number | undefined }[];
  outage: { start: number; length: number };
  /** "blind": the registry cannot read (noticed after `detect`, recovered `recover` after the outage); "lost": beats lost. */
  kind: "blind" | "lost";
  detect: number;
  recover: number;
  /** Blind kind: the beats written meanwhile are in the bucket (read at the recovery) or were never stored. */
  stored: boolean;
  latencies: number[];
}

interface Delivery {
  at: number;
  did: string;
  created: number;
}

/** Every beat as the monitor reads it (when, whose, created), in reading order. */
function deliveries(s: Scenario, end: number): { reads: Delivery[]; lostAt?: number; recoveredAt?: number } {
  const { start } = s.outage;
  const stop = start + s.outage.length;
  const lostAt = s.kind === "blind" ? start + s.detect : undefined;
  const recoveredAt = lostAt === undefined ? undefined : Math.max(stop, lostAt) + s.recover;
  const reads: Delivery[] = [];
  s.agents.forEach((a, i) => {
    const did = `a${i}`;
    let n = 0;
    for (let t = a.phase; t < end && (a.diesAt === undefined || t < a.diesAt); t += I, n += 1) {
      const latency = s.latencies[n % s.latencies.length] ?? 0;
      const inOutage = t >= start && t < stop;
      if (s.kind === "lost") {
        if (!inOutage) reads.push({ at: t + latency, did, created: t });
      } else if (recoveredAt !== undefined && t >= start && t < recoveredAt) {
        if (!inOutage || s.stored) reads.push({ at: recoveredAt, did, created: t });
      } else reads.push({ at: t + latency, did, created: t });
    }
  });
  reads.sort((x, y) => x.at - y.at || x.created - y.created);
  return { reads, ...(lostAt !== undefined ? { lostAt } : {}), ...(recoveredAt !== undefined ? { recoveredAt } : {}) };
}

/** Runs the rule over the scenario; returns every transition (agent, to, when). */
function simulate(s: Scenario, end: number): { did: string; to: Liveness; at: number }[] {
  const { reads, lostAt, recoveredAt } = deliveries(s, end);
  const excuses = new SilenceExcuses(T);
  const last = new Map<string, number>();
  const state = new Map<string, Liveness>(s.agents.map((_, i) => [`a${i}`, "alive"]));
  const out: { did: string; to: Liveness; at: number }[] = [];
  let next = 0;
  for (let now = 0; now <= end; now += TICK) {
    if (lostAt !== undefined && now >= lostAt && (recoveredAt === undefined || now < recoveredAt)) excuses.lost(lostAt);
    if (recoveredAt !== undefined && now >= recoveredAt) excuses.recovered(recoveredAt);
    for (; next < reads.length && (reads[next] as Delivery).at <= now; next += 1) {
      const r = reads[next] as Delivery;
      last.set(r.did, Math.max(last.get(r.did) ?? 0, r.created));
      excuses.beat(r.created);
    }
    const agents: Judged[] = [...state].map(([did, liveness]) => ({ did, since: last.get(did) ?? 0, liveness }));
    for (const t of judge(now, agents, excuses, T)) {
      state.set(t.did, t.to);
      out.push({ did: t.did, to: t.to, at: now });
    }
  }
  return out;
}

const scenario = fc
  .record({
    living: fc.array(fc.integer({ min: 0, max: I - 1 }), { minLength: 1, maxLength: 4 }),
    dying: fc.array(
      fc.record({ phase: fc.integer({ min: 0, max: I - 1 }), diesAt: fc.integer({ min: 0, max: 60_000 }) }),
      {
        maxLength: 3,
      },
    ),
    outage: fc.record({ start: fc.integer({ min: 5_000, max: 40_000 }), length: fc.integer({ min: 0, max: 60_000 }) }),
    kind: fc.constantFrom("blind" as const, "lost" as const),
    // The watch notices it cannot read within a beat interval or so (a failed reading at the next 1 s check, a stall
    // after 3 s; agents beat every 5 s by default): here, within one interval.
    detect: fc.integer({ min: 0, max: I }),
    recover: fc.integer({ min: 0, max: 2_000 }),
    stored: fc.boolean(),
    latencies: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }),
  })
  // Every agent's beats lost at once is told from one agent's death only with two agents that keep beating.
  .filter((r) => r.living.length + r.dying.length >= 2 && (r.kind === "blind" || r.living.length >= 2))
  .map(
    (r): Scenario => ({
      agents: [...r.living.map((phase) => ({ phase, diesAt: undefined })), ...r.dying],
      outage: r.outage,
      kind: r.kind,
      detect: r.detect,
      recover: r.recover,
      stored: r.stored,
      latencies: r.latencies,
    }),
  );

const endOf = (s: Scenario): number => {
  const lastDeath = Math.max(0, ...s.agents.map((a) => a.diesAt ?? 0));
  return Math.max(lastDeath, s.outage.start + s.outage.length + s.detect + s.recover) + T.offlineAfterMs + 3 * I;
};

describe("liveness under outages (the pure rule)", () => {
  it("never marks an agent that beat on schedule outside the outage", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const living = new Set(s.agents.flatMap((a, i) => (a.diesAt === undefined ? [`a${i}`] : [])));
        const wrong = simulate(s, endOf(s)).filter((t) => living.has(t.did));
        expect(wrong).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("still marks an agent that really stopped, once the outage is over", () => {
    fc.assert(
      fc.property(
        scenario.filter((s) => s.agents.some((a) => a.diesAt !== undefined)),
        (s) => {
          const transitions = simulate(s, endOf(s));
          s.agents.forEach((a, i) => {
            if (a.diesAt === undefined) return;
            const marks = transitions.filter((t) => t.did === `a${i}` && t.to !== "alive");
            expect(marks.length, `agent a${i} died at ${a.diesAt}`).toBeGreaterThan(0);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("without the outage rule the same schedules would mark live agents (the property can fail)", () => {
    // A 20 s outage of every agent's beats: measured from the last beat alone, every agent goes suspect.
    const s: Scenario = {
      agents: [
        { phase: 0, diesAt: undefined },
        { phase: 500, diesAt: undefined },
      ],
      outage: { start: 10_000, length: 20_000 },
      kind: "lost",
      detect: 0,
      recover: 0,
      stored: false,
      latencies: [0],
    };
    const { reads } = deliveries(s, 40_000);
    const lastBefore = Math.max(...reads.filter((r) => r.created < 10_000).map((r) => r.created));
    expect(20_000 + 10_000 - lastBefore).toBeGreaterThan(T.suspectAfterMs);
    expect(simulate(s, 40_000)).toEqual([]);
  });

  it("one beating agent among agents already marked: its silence is its own", () => {
    // The others stopped long before: they say nothing about a gap, so the last beating agent is judged as usual.
    const s: Scenario = {
      agents: [
        { phase: 0, diesAt: 30_000 },
        { phase: 300, diesAt: 2_000 },
        { phase: 600, diesAt: 2_000 },
      ],
      outage: { start: 90_000, length: 0 },
      kind: "lost",
      detect: 0,
      recover: 0,
      stored: false,
      latencies: [0],
    };
    const first = simulate(s, 40_000).find((t) => t.did === "a0");
    expect(first?.to).toBe("suspect");
    expect(first!.at).toBeLessThan(30_000 + T.offlineAfterMs);
  });

  it("a single agent's silence is its own: it is marked even when nobody else beats", () => {
    const s: Scenario = {
      agents: [{ phase: 0, diesAt: 10_000 }],
      outage: { start: 50_000, length: 0 },
      kind: "lost",
      detect: 0,
      recover: 0,
      stored: false,
      latencies: [0],
    };
    expect(simulate(s, 20_000).map((t) => t.to)).toEqual(["suspect", "offline"]);
  });

  it("a recovery excuses silence but never revives an agent already marked", () => {
    const excuses = new SilenceExcuses(T);
    excuses.lost(10_000);
    excuses.recovered(20_000);
    const marked: Judged = { did: "x", since: 1_000, liveness: "offline" };
    expect(judge(21_000, [marked], excuses, T)).toEqual([]);
  });
});
