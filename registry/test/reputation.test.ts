import { describe, expect, it } from "vitest";
import { FACTORS } from "@plexus/anp";
import type { Reputation } from "@plexus/anp";
import {
  DecayedSumColumns,
  EvidenceLedger,
  computeReputation,
  computeTrust,
  decayFactor,
} from "../src/reputation/index.js";
import type { ModelOptions } from "../src/reputation/index.js";

const HOUR = 3_600_000;
const opts: ModelOptions = { halfLifeMs: 24 * HOUR };

/** An honest agent H served 20 requests from each of 3 anchor clients, replies observed ≈0.9 and rated 0.9. */
function honest(ledger: EvidenceLedger, t0: number): { h: string; anchors: string[]; end: number } {
  const h = "did:honest";
  const anchors = ["did:anchor:1", "did:anchor:2", "did:anchor:3"];
  let t = t0;
  for (let i = 0; i < 20; i++) {
    for (const a of anchors) {
      ledger.observe(h, "responsiveness", a, 0.9, (t += 1000));
      ledger.observe(h, "reliability", a, 0.9, (t += 1000));
      ledger.rate(a, h, "quality", 0.9, (t += 1000));
    }
  }
  return { h, anchors, end: t };
}

/** 50 fresh identities that observe each other perfectly on many interactions and rate each other 1.0. */
function sybilRing(ledger: EvidenceLedger, t0: number, size = 50): { ring: string[]; end: number } {
  const ring = Array.from({ length: size }, (_, i) => `did:sybil:${i}`);
  let t = t0;
  for (let round = 0; round < 10; round++) {
    for (const [i, a] of ring.entries()) {
      for (const b of [ring[(i + 1) % size] as string, ring[(i + 7) % size] as string]) {
        for (const f of ["responsiveness", "cooperativeness", "reliability"] as const)
          ledger.observe(a, f, b, 1, (t += 10));
        for (const f of FACTORS) ledger.rate(b, a, f, 1, (t += 10));
      }
      ledger.observe(a, "reliability", undefined, 1, (t += 10));
    }
  }
  return { ring, end: t };
}

function expectSane(rep: Reputation): void {
  for (const v of [rep.score, rep.trust, ...FACTORS.map((f) => rep.factors[f].value)]) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
}

describe("DecayedSumColumns", () => {
  it("halves a sum every half-life and never grows when read before its reference time", () => {
    const s = new DecayedSumColumns(2, 1000);
    const g = s.push(0);
    s.add(g, 0, 8, 0);
    expect(s.read(g, 0, 1000)).toBeCloseTo(4, 14);
    expect(s.read(g, 0, 3000)).toBeCloseTo(1, 14);
    expect(s.read(g, 0, -5000)).toBe(8);
    s.add(g, 1, 1, 2000);
    expect(s.ref(g)).toBe(2000);
    expect(s.group(g)[0]).toBeCloseTo(2, 14);
    expect(s.group(g)[1]).toBe(1);
  });

  it("counts a late sample as if it had arrived in order", () => {
    const s = new DecayedSumColumns(1, 1000);
    const inOrder = s.push(0);
    s.add(inOrder, 0, 1, 0);
    s.add(inOrder, 0, 1, 1000);
    const late = s.push(1000);
    s.add(late, 0, 1, 1000);
    s.add(late, 0, 1, 0);
    expect(s.read(late, 0, 5000)).toBe(s.read(inOrder, 0, 5000));
  });

  it("underflows to 0 instead of overflowing over very long idle times, and grows past its initial capacity", () => {
    const s = new DecayedSumColumns(1, 1);
    const g = s.push(0);
    s.add(g, 0, 1e300, 0);
    s.add(g, 0, 1, 1e7);
    expect(s.raw(g, 0)).toBe(1);
    expect(decayFactor(1e12, 1)).toBe(0);
    for (let i = 0; i < 100; i++) s.push(i, [i]);
    expect(s.size).toBe(101);
    expect(s.raw(100, 0)).toBe(99);
    expect(s.raw(g, 0)).toBe(1);
  });
});

describe("EvidenceLedger", () => {
  it("refuses evidence outside [0,1], non-finite times and unknown factors", () => {
    const ledger = new EvidenceLedger({ halfLifeMs: 1000 });
    expect(() => ledger.observe("did:a", "quality", "did:b", 1.5, 0)).toThrow(/not in \[0,1\]/);
    expect(() => ledger.observe("did:a", "quality", "did:b", Number.NaN, 0)).toThrow(/not in \[0,1\]/);
    expect(() => ledger.rate("did:a", "did:b", "quality", 1, Number.POSITIVE_INFINITY)).toThrow(/finite/);
    expect(() => ledger.rate("did:a", "did:b", "speed" as never, 1, 0)).toThrow(/unknown factor/);
    expect(() => new EvidenceLedger({ halfLifeMs: 0 })).toThrow(/halfLifeMs/);
    expect([...ledger.subjects()]).toEqual([]);
  });

  it("round-trips through JSON exactly, order included, and the copy computes the identical table", () => {
    const ledger = new EvidenceLedger(opts);
    const { h, anchors, end } = honest(ledger, 0);
    const { ring } = sybilRing(ledger, end, 10);
    const copy = EvidenceLedger.fromJSON(JSON.parse(JSON.stringify(ledger.toJSON())), opts);
    expect(copy.toJSON()).toEqual(ledger.toJSON());
    expect([...copy.subjects()]).toEqual([...ledger.subjects()]);
    const agents = [h, ...anchors, ...ring];
    const at = end + 5 * HOUR;
    const a = computeReputation(ledger, agents, new Set(anchors), at, opts);
    const b = computeReputation(copy, agents, new Set(anchors), at, opts);
    for (const did of agents) expect(b.get(did)).toEqual(a.get(did));
  });

  it("refuses a snapshot taken with another half-life", () => {
    const ledger = new EvidenceLedger({ halfLifeMs: 1000 });
    ledger.observe("did:a", "quality", "did:b", 1, 0);
    expect(() => EvidenceLedger.fromJSON(ledger.toJSON(), { halfLifeMs: 2000 })).toThrow(/halfLifeMs/);
  });
});

describe("computeTrust", () => {
  it("gives pre-trust to anchors only, flows it along ratings and leaves an unconnected ring at 0", () => {
    const ledger = new EvidenceLedger(opts);
    const { h, anchors, end } = honest(ledger, 0);
    const { ring } = sybilRing(ledger, end, 10);
    const result = computeTrust(ledger, [h, ...anchors, ...ring], new Set(anchors), end);
    const trustOf = (did: string) => result.trust[result.space.indexOf(did)];
    expect(result.unanchored).toBe(false);
    expect(Math.max(...result.trust)).toBe(1);
    expect(trustOf(h)).toBe(1);
    for (const a of anchors) expect(trustOf(a)).toBeGreaterThan(0);
    for (const s of ring) expect(trustOf(s)).toBe(0);
  });

  it("ignores anchors that are not among the agents and de-duplicates agents", () => {
    const ledger = new EvidenceLedger(opts);
    ledger.rate("did:a", "did:b", "quality", 1, 0);
    const result = computeTrust(ledger, ["did:a", "did:b", "did:a"], new Set(["did:elsewhere"]), 0);
    expect(result.space.agents).toEqual(["did:a", "did:b"]);
    expect(result.unanchored).toBe(true);
  });

  it("answers all zeros for no agents", () => {
    const result = computeTrust(new EvidenceLedger(opts), [], new Set(), 0);
    expect(result.trust.length).toBe(0);
  });
});

describe("computeReputation", () => {
  it("scores a Sybil ring of 50 below an honest agent served to anchors; the ring stays newcomers", () => {
    const ledger = new EvidenceLedger(opts);
    const { h, anchors, end } = honest(ledger, 0);
    const { ring, end: last } = sybilRing(ledger, end);
    const table = computeReputation(ledger, [h, ...anchors, ...ring], new Set(anchors), last, opts);
    const honestRep = table.get(h);
    expect(honestRep.newcomer).toBe(false);
    expect(honestRep.score).toBeGreaterThan(0.6);
    for (const s of ring) {
      const rep = table.get(s);
      expect(rep.newcomer).toBe(true);
      expect(rep.trust).toBe(0);
      expect(rep.score).toBeLessThan(honestRep.score);
      expect(rep.factors.quality.evidence).toBeGreaterThan(0);
      expect(rep.factors.quality).toMatchObject({ value: 0.5, weight: 0 });
      expectSane(rep);
    }
  });

  it("without any anchor, trusts nobody: the ring's ratings weigh nothing and every record says it is unanchored", () => {
    const ledger = new EvidenceLedger(opts);
    const { h, anchors, end } = honest(ledger, 0);
    const { ring, end: last } = sybilRing(ledger, end);
    const table = computeReputation(ledger, [h, ...anchors, ...ring], new Set(), last, opts);
    expect(table.unanchored).toBe(true);
    // The same registry observations of the ring, without a single rating or interaction among its members.
    const alone = new EvidenceLedger(opts);
    honest(alone, 0);
    let t = end;
    for (let round = 0; round < 10; round++)
      for (const a of ring) alone.observe(a, "reliability", undefined, 1, (t += 10 * 17));
    const without = computeReputation(alone, [h, ...anchors, ...ring], new Set(), last, opts);
    for (const did of [h, ...anchors, ...ring]) {
      const rep = table.get(did);
      expect(rep).toMatchObject({ trust: 0, newcomer: true, anchor: false, trustSource: "none", unanchored: true });
      // No agent's evidence carries weight: only the registry's own observations move a score.
      for (const f of FACTORS.filter((x) => x !== "reliability"))
        expect(rep.factors[f]).toMatchObject({ value: 0.5, weight: 0 });
      expect(rep.score).toBeCloseTo(without.get(did).score, 12);
    }
    expect(table.get(h).score).toBe(0.5);
    expect(table.get(ring[0] as string).factors.quality.evidence).toBeGreaterThan(0);
  });

  it("moves an idle agent's score back toward 0.5 as time passes", () => {
    const fast: ModelOptions = { halfLifeMs: 1000 };
    const ledger = new EvidenceLedger(fast);
    const { h, anchors, end } = honest(ledger, 0);
    const scores = [0, 1000, 5000, 20_000, 200_000].map((dt) =>
      computeReputation(ledger, [h, ...anchors], new Set(anchors), end + dt, fast).get(h),
    );
    for (let i = 1; i < scores.length; i++) {
      expect(Math.abs((scores[i] as Reputation).score - 0.5)).toBeLessThan(
        Math.abs((scores[i - 1] as Reputation).score - 0.5),
      );
    }
    const idle = scores[scores.length - 1] as Reputation;
    expect(idle.score).toBeCloseTo(0.5, 6);
    expect(idle.newcomer).toBe(true);
    expect(idle.factors.quality.evidence).toBe(60);
  });

  it("answers neutral for unknown agents and for agents without evidence", () => {
    const ledger = new EvidenceLedger(opts);
    const table = computeReputation(ledger, ["did:quiet"], new Set(), 0, opts);
    for (const did of ["did:quiet", "did:unknown"]) {
      const rep = table.get(did);
      expect(rep).toMatchObject({ did, score: 0.5, newcomer: true });
      for (const f of FACTORS) expect(rep.factors[f]).toEqual({ value: 0.5, evidence: 0, weight: 0 });
    }
    expect(table.brief("did:unknown")).toEqual({ score: 0.5, newcomer: true, trust: 0 });
  });

  it("weighs registry observations by observerWeight, which never makes an agent established", () => {
    const ledger = new EvidenceLedger(opts);
    for (let i = 0; i < 100; i++) ledger.observe("did:a", "reliability", undefined, 1, i * 1000);
    const rep = computeReputation(ledger, ["did:a"], new Set(), 100_000, opts).get("did:a");
    expect(rep.newcomer).toBe(true);
    expect(rep.factors.reliability.value).toBeGreaterThan(0.8);
    expect(rep.factors.reliability.weight).toBeGreaterThan(10);
    expect(rep.factors.reliability.evidence).toBe(100);
  });

  it("gives no weight to an agent's evidence about itself", () => {
    const ledger = new EvidenceLedger(opts);
    for (let i = 0; i < 50; i++) ledger.rate("did:self", "did:self", "quality", 1, i);
    const rep = computeReputation(ledger, ["did:self"], new Set(["did:self"]), 100, opts).get("did:self");
    expect(rep.factors.quality).toEqual({ value: 0.5, evidence: 50, weight: 0 });
    expect(rep.trust).toBe(1);
  });

  it("stays finite and in [0,1] under extreme inputs", () => {
    const ledger = new EvidenceLedger({ halfLifeMs: 1 });
    ledger.rate("did:a", "did:b", "honesty", 0, 0);
    ledger.rate("did:a", "did:b", "honesty", 1, 1e15);
    ledger.observe("did:b", "quality", "did:a", 0, -1e15);
    const factorWeights = { reliability: 0, quality: 1, responsiveness: 0, honesty: 1, cooperativeness: 0 };
    const table = computeReputation(ledger, ["did:a", "did:b"], new Set(["did:a"]), 2e15, {
      halfLifeMs: 1,
      priorWeight: 0,
      factorWeights,
    });
    for (const did of ["did:a", "did:b"]) expectSane(table.get(did));
  });

  it("is deterministic: the same inputs give deep-equal tables", () => {
    const build = () => {
      const ledger = new EvidenceLedger(opts);
      const { h, anchors, end } = honest(ledger, 0);
      const { ring, end: last } = sybilRing(ledger, end, 20);
      const agents = [h, ...anchors, ...ring];
      const table = computeReputation(ledger, agents, new Set(anchors), last + HOUR, opts);
      return agents.map((did) => table.get(did));
    };
    expect(build()).toEqual(build());
  });

  it("refuses options it cannot honour", () => {
    const ledger = new EvidenceLedger(opts);
    expect(() => computeReputation(ledger, [], new Set(), 0, { halfLifeMs: 5 })).toThrow(/halfLifeMs/);
    expect(() => computeReputation(ledger, [], new Set(), 0, { ...opts, priorWeight: -1 })).toThrow(/priorWeight/);
    expect(() => computeReputation(ledger, [], new Set(), Number.NaN, opts)).toThrow(/finite/);
  });
});
