import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FACTORS, type Factor } from "@plexus/anp";
import { EvidenceLedger, computeReputation, computeTrust } from "../src/reputation/index.js";
import type { ModelOptions } from "../src/reputation/index.js";

/**
 * The Sybil bound (registry/README.md, "Reputation"): an attacker who makes k identities and has them rate each other
 * as much as it likes gains trust and score only through the ratings honest agents give its identities (attack
 * edges), never through k or through the volume of its own ratings.
 *
 * With EigenTrust's pre-trust on anchors only (α = 0.15), the trust mass of a region S that anchors do not belong to
 * is at most (1−α)/α · Σ_{(i→s) ∈ E} t_i·c_is, where t is the mass vector and c the row-normalised local trust.
 * Scores: a source's samples weigh its scaled trust t̃ in all at most `sourceBudget` (B) times, and a factor value
 * moves at most W/4 from 0.5 under weight W (prior k = 2), so Σ_{s∈S} |score_s − 0.5| ≤ ¼ (Σ_E t̃_i·n_is + B·Σ_S t̃).
 */

const ALPHA = 0.15;
const BUDGET = 50;
const opts: ModelOptions = { halfLifeMs: 3_600_000, alpha: ALPHA, sourceBudget: BUDGET };
const AT = 1_000;

interface Rating {
  rater: number;
  ratee: number;
  factor: Factor;
  score: number;
}

interface World {
  honest: number;
  anchors: number;
  sybils: number;
  honestRatings: Rating[];
  /** Honest raters (index < honest) rating sybils (index ≥ honest): the attack edges. */
  attack: Rating[];
  /** Anything the sybils do: among themselves and about honest agents, each repeated `volume` times. */
  sybilRatings: Rating[];
  volume: number;
}

const factor = fc.constantFrom(...FACTORS);
const score = fc.double({ min: 0.05, max: 1, noNaN: true });

const world: fc.Arbitrary<World> = fc
  .record({
    honest: fc.integer({ min: 2, max: 12 }),
    anchors: fc.integer({ min: 1, max: 3 }),
    sybils: fc.integer({ min: 1, max: 60 }),
    attackEdges: fc.integer({ min: 0, max: 3 }),
  })
  .chain(({ honest, anchors, sybils, attackEdges }) => {
    const h = fc.integer({ min: 0, max: honest - 1 });
    const s = fc.integer({ min: honest, max: honest + sybils - 1 });
    const anyone = fc.integer({ min: 0, max: honest + sybils - 1 });
    return fc.record({
      honest: fc.constant(honest),
      anchors: fc.constant(Math.min(anchors, honest)),
      sybils: fc.constant(sybils),
      honestRatings: fc.array(fc.record({ rater: h, ratee: h, factor, score }), { minLength: 1, maxLength: 40 }),
      attack: fc.array(fc.record({ rater: h, ratee: s, factor, score }), {
        minLength: attackEdges,
        maxLength: attackEdges,
      }),
      sybilRatings: fc.array(fc.record({ rater: s, ratee: anyone, factor, score }), { maxLength: 200 }),
      volume: fc.integer({ min: 1, max: 40 }),
    });
  });

function did(i: number): string {
  return `did:agent:${i}`;
}

function build(
  w: World,
  withSybilRatings: boolean,
): { ledger: EvidenceLedger; agents: string[]; anchors: Set<string> } {
  const ledger = new EvidenceLedger(opts);
  for (const r of [...w.honestRatings, ...w.attack])
    if (r.rater !== r.ratee) ledger.rate(did(r.rater), did(r.ratee), r.factor, r.score, AT);
  if (withSybilRatings) {
    for (const r of w.sybilRatings)
      for (let n = 0; n < w.volume; n++)
        if (r.rater !== r.ratee) ledger.rate(did(r.rater), did(r.ratee), r.factor, r.score, AT);
  }
  const agents = Array.from({ length: w.honest + w.sybils }, (_, i) => did(i));
  return { ledger, agents, anchors: new Set(agents.slice(0, w.anchors)) };
}

describe("Sybil resistance (property)", () => {
  it("bounds the trust mass of a planted Sybil region by its attack edges, whatever its size and however it rates", () => {
    fc.assert(
      fc.property(world, (w) => {
        const { ledger, agents, anchors } = build(w, true);
        const { mass } = computeTrust(ledger, agents, anchors, AT, {
          alpha: ALPHA,
          tolerance: 1e-13,
          maxIterations: 500,
        });
        // Σ over attack edges of t_i·c_is: c from the honest raters' own ratings (all at one time, so no decay).
        const given = new Map<number, number>();
        for (const r of [...w.honestRatings, ...w.attack])
          if (r.rater !== r.ratee) given.set(r.rater, (given.get(r.rater) ?? 0) + r.score);
        let inflow = 0;
        for (const r of w.attack) inflow += (mass[r.rater] as number) * (r.score / (given.get(r.rater) as number));
        let sybilMass = 0;
        for (let i = w.honest; i < agents.length; i++) sybilMass += mass[i] as number;
        expect(sybilMass).toBeLessThanOrEqual(((1 - ALPHA) / ALPHA) * inflow + 1e-9);
        if (w.attack.length === 0) expect(sybilMass).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("bounds the score the Sybil region gains by its attack edges: with none, its ratings change no score at all", () => {
    fc.assert(
      fc.property(world, (w) => {
        const { ledger, agents, anchors } = build(w, true);
        const table = computeReputation(ledger, agents, anchors, AT, opts);
        const { trust } = computeTrust(ledger, agents, anchors, AT, { alpha: ALPHA });
        let gained = 0;
        for (let i = w.honest; i < agents.length; i++) gained += Math.abs(table.get(did(i)).score - 0.5);
        let sybilTrust = 0;
        for (let i = w.honest; i < agents.length; i++) sybilTrust += trust[i] as number;
        let attackWeight = 0;
        for (const r of w.attack) attackWeight += trust[r.rater] as number;
        expect(gained).toBeLessThanOrEqual(0.25 * (attackWeight + BUDGET * sybilTrust) + 1e-9);
        if (w.attack.length === 0) {
          // Not one sybil moved, and no honest agent either: the same table as without any Sybil rating.
          const clean = build(w, false);
          const without = computeReputation(clean.ledger, clean.agents, clean.anchors, AT, opts);
          for (let i = 0; i < agents.length; i++) expect(table.get(did(i)).score).toBe(without.get(did(i)).score);
          for (let i = w.honest; i < agents.length; i++) expect(table.get(did(i)).trust).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("saturates: one attack edge lets a ring gain a bounded total, which stops growing with the ring's size", () => {
    const gain = (k: number): number => {
      const ledger = new EvidenceLedger(opts);
      const honest = ["did:a", "did:h1", "did:h2"];
      ledger.rate("did:a", "did:h1", "quality", 1, AT);
      ledger.rate("did:a", "did:h2", "quality", 1, AT);
      ledger.rate("did:h1", "did:h2", "quality", 1, AT);
      const ring = Array.from({ length: k }, (_, i) => `did:ring:${i}`);
      // The one attack edge: h2 rated a ring member once (and nobody else, so its whole row leads into the ring).
      ledger.rate("did:h2", ring[0] as string, "quality", 1, AT);
      // Each member rates its next 10 neighbours on every factor.
      for (let i = 0; i < k; i++)
        for (let j = 1; j <= Math.min(k - 1, 10); j++)
          for (const f of FACTORS) ledger.rate(ring[i] as string, ring[(i + j) % k] as string, f, 1, AT);
      const table = computeReputation(ledger, [...honest, ...ring], new Set(["did:a"]), AT, opts);
      return ring.reduce((sum, d) => sum + (table.get(d).score - 0.5), 0);
    };
    const gains = [20, 200, 800].map(gain);
    expect(gains[0]).toBeGreaterThan(0);
    // Forty times the identities buy well under twice the gain, and the last fourfold buys almost nothing.
    expect(gains[2]).toBeLessThan(2 * (gains[0] as number));
    expect((gains[2] as number) - (gains[1] as number)).toBeLessThan(0.1);
  });

  it("lets volume buy nothing: a barely trusted ring rating itself ten thousand times gains what its trust allows", () => {
    const ledger = new EvidenceLedger(opts);
    const honest = Array.from({ length: 20 }, (_, i) => `did:h${i}`);
    for (const h of honest) ledger.rate("did:a", h, "quality", 1, AT);
    // The one attack edge: a lightly trusted honest agent gave a ring member one rating among many it gave.
    for (const h of honest.slice(1)) ledger.rate("did:h0", h, "quality", 1, AT);
    const ring = Array.from({ length: 10 }, (_, i) => `did:ring:${i}`);
    ledger.rate("did:h0", ring[0] as string, "quality", 0.5, AT);
    for (let n = 0; n < 120; n++)
      for (const a of ring) for (const b of ring) if (a !== b) ledger.rate(a, b, "quality", 1, AT);
    const agents = ["did:a", ...honest, ...ring];
    const table = computeReputation(ledger, agents, new Set(["did:a"]), AT, opts);
    const { trust } = computeTrust(ledger, agents, new Set(["did:a"]), AT, { alpha: ALPHA });
    const ringTrust = ring.reduce((sum, d) => sum + (trust[agents.indexOf(d)] as number), 0);
    const gained = ring.reduce((sum, d) => sum + (table.get(d).score - 0.5), 0);
    expect(ringTrust).toBeGreaterThan(0);
    expect(ringTrust).toBeLessThan(0.2);
    expect(gained).toBeLessThanOrEqual(0.25 * ((trust[agents.indexOf("did:h0")] as number) + BUDGET * ringTrust));
    expect(Math.max(...ring.map((d) => table.get(d).score))).toBeLessThan(0.55);
  });
});
