import { ErrorCode, PlexusError } from "@plexus/core";
import { FACTORS } from "@plexus/anp";
import type { Factor, FactorScore, Reputation } from "@plexus/anp";
import { FACTOR_COUNT, PAIR_WIDTH, REGISTRY_ID } from "./ledger.js";
import type { EvidenceLedger, EvidenceView } from "./ledger.js";
import { AgentSpace, computeTrust } from "./trust.js";

export interface ModelOptions {
  /** Must equal the ledger's half-life (the ledger's own value is what is used for decay). */
  halfLifeMs: number;
  /** k: pseudo-evidence at 0.5 every factor starts from. Default 2. */
  priorWeight?: number;
  /** Weight of one registry-observed sample (heartbeat regularity). Default 0.2. */
  observerWeight?: number;
  /** Trusted (counterpart-weighted) evidence mass below which an agent is a newcomer. Default 1. */
  newcomerThreshold?: number;
  /** Default reliability .3, quality .25, responsiveness .15, honesty .15, cooperativeness .15. */
  factorWeights?: Record<Factor, number>;
  /** EigenTrust's pre-trust weight. Default 0.15. */
  alpha?: number;
  /**
   * How many samples' worth of weight one source may give in all (decayed, over every subject and factor), at its
   * trust: a source that gave more has each of its samples scaled down by budget / volume. Bounds what volume buys:
   * a thousand ratings from a barely trusted identity weigh what `sourceBudget` of them would. Default 50.
   */
  sourceBudget?: number;
  /**
   * How many samples' worth of weight one source may give about one subject (decayed, all factors): a pair with more
   * has each scaled down to it, and counts only this much in the source's volume. So no single counterpart can take a
   * source's whole budget, or dilute what the source says about everyone else by drawing samples from it. Default 10.
   */
  pairBudget?: number;
}

export const DEFAULT_FACTOR_WEIGHTS: Readonly<Record<Factor, number>> = Object.freeze({
  reliability: 0.3,
  quality: 0.25,
  responsiveness: 0.15,
  honesty: 0.15,
  cooperativeness: 0.15,
});

/** What ranking needs per agent, without building the full record; shared objects, do not mutate. */
export interface ReputationBrief {
  readonly score: number;
  readonly newcomer: boolean;
  readonly trust: number;
}

/** Why an agent's trust is what it is: pre-trusted, earned through ratings from trusted raters, or none. */
export type TrustSource = "anchor" | "ratings" | "none";

export interface ReputationTable {
  /** True when no anchor is among the agents: nobody is trusted and every score is the prior plus registry observations. */
  readonly unanchored: boolean;
  /** The log time the table was computed at. */
  readonly at: number;
  /** A fresh record; neutral (0.5, newcomer, trust 0) for an unknown agent. O(1). */
  get(did: string): Reputation;
  /** Score, newcomer flag and trust without allocation; neutral for an unknown agent. O(1). */
  brief(did: string): ReputationBrief;
}

const F = FACTOR_COUNT;
const NEUTRAL: ReputationBrief = Object.freeze({ score: 0.5, newcomer: true, trust: 0 });

/** The record of an agent nothing is known about (`unanchored`: whether the mesh has no anchor). */
export function neutralReputation(did: string, unanchored = true): Reputation {
  const factors = {} as Record<Factor, FactorScore>;
  for (const f of FACTORS) factors[f] = { value: 0.5, evidence: 0, weight: 0 };
  return { did, score: 0.5, factors, trust: 0, newcomer: true, anchor: false, trustSource: "none", unanchored };
}

/**
 * Reputation of `agents` at log time `at`. Per factor, value = (k·0.5 + Σ w·x) / (k + Σ w), where a sample's weight
 * is its decay times the weight of the agent it came from (the counterpart, or the rater): that agent's EigenTrust
 * trust (0..1), scaled down by sourceBudget / volume when it is the source of more than `sourceBudget` samples in
 * all, and by pairBudget / n when it gave n > `pairBudget` samples about this one agent. A registry-observed sample
 * weighs `observerWeight`. Evidence from agents outside `agents`, from untrusted agents, and an agent's evidence about
 * itself, weigh nothing. `anchors` are the pre-trusted DIDs (see
 * computeTrust); without any, only registry observations move a score. Deterministic: the same ledger, agents
 * (same order), anchors and `at` give bit-identical tables.
 */
export function computeReputation(
  ledger: EvidenceLedger,
  agents: readonly string[],
  anchors: ReadonlySet<string>,
  at: number,
  opts: ModelOptions,
): ReputationTable {
  const o = parseModelOptions(opts, at);
  if (opts.halfLifeMs !== ledger.halfLifeMs) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `halfLifeMs ${opts.halfLifeMs} differs from the ledger's ${ledger.halfLifeMs}`,
    );
  }
  const space = new AgentSpace(ledger, agents);
  const { trust, decay, samples, volume, anchor, unanchored } = computeTrust(ledger, space, anchors, at, {
    alpha: o.alpha,
    pairBudget: o.pairBudget,
  });
  const n = space.agents.length;
  const source = new Float64Array(n);
  for (let i = 0; i < n; i++)
    source[i] = (trust[i] as number) * Math.min(1, o.sourceBudget / Math.max(volume[i] as number, Number.MIN_VALUE));
  const cols: Columns = {
    value: new Float64Array(n * F),
    evidence: new Float64Array(n * F),
    weight: new Float64Array(n * F),
  };
  const briefs = new Array<ReputationBrief>(n);
  const sums = new Accumulator(ledger.view());
  let cursor = 0;
  for (let j = 0; j < n; j++) {
    sums.reset();
    for (const p of ledger.pairsOf(space.ledgerIds[j] as number) ?? []) {
      const d = decay[cursor] as number;
      const pairSamples = samples[cursor++] as number;
      const other = sums.view.other[p] as number;
      if (other === REGISTRY_ID) sums.add(p, o.observerWeight, false, d);
      else
        sums.add(
          p,
          weightOf(space.agentOfId(other), j, source) * (pairSamples > o.pairBudget ? o.pairBudget / pairSamples : 1),
          true,
          d,
        );
    }
    const score = sums.writeInto(cols, j, o.priorWeight, o.factorWeights);
    briefs[j] = { score, newcomer: sums.trusted < o.newcomerThreshold, trust: trust[j] as number };
  }
  return new ComputedTable(at, space, briefs, cols, anchor, unanchored);
}

/** Weight of the party with agent index i as a source of evidence about agent j: none for non-agents and for j itself. */
function weightOf(i: number, j: number, source: Float64Array): number {
  return i < 0 || i === j ? 0 : (source[i] as number);
}

type Columns = { value: Float64Array; evidence: Float64Array; weight: Float64Array };

/** Per-factor Σw·x, Σw and raw counts of one agent. */
class Accumulator {
  readonly view: EvidenceView;
  readonly num = new Float64Array(F);
  readonly den = new Float64Array(F);
  readonly count = new Float64Array(F);
  trusted = 0;

  constructor(view: EvidenceView) {
    this.view = view;
  }

  reset(): void {
    this.num.fill(0);
    this.den.fill(0);
    this.count.fill(0);
    this.trusted = 0;
  }

  /** Adds pair p, weighted by w and decayed by `decay`; `trusted` says whether its mass counts against newcomer. */
  add(p: number, w: number, trusted: boolean, decay: number): void {
    const { sums, counts } = this.view;
    for (let k = 0; k < F; k++) {
      const c = counts[p * F + k] as number;
      if (c === 0) continue;
      this.count[k] = (this.count[k] as number) + c;
      if (!(w > 0)) continue;
      const m = w * decay * (sums[p * PAIR_WIDTH + F + k] as number);
      this.num[k] = (this.num[k] as number) + w * decay * (sums[p * PAIR_WIDTH + k] as number);
      this.den[k] = (this.den[k] as number) + m;
      if (trusted) this.trusted += m;
    }
  }

  /** Writes the factor scores of agent j and returns its overall score. */
  writeInto(cols: Columns, j: number, k: number, factorWeights: readonly number[]): number {
    let total = 0;
    let wsum = 0;
    for (let f = 0; f < F; f++) {
      const den = k + (this.den[f] as number);
      const value = den > 0 ? clamp01((k * 0.5 + (this.num[f] as number)) / den) : 0.5;
      cols.value[j * F + f] = value;
      cols.evidence[j * F + f] = this.count[f] as number;
      cols.weight[j * F + f] = this.den[f] as number;
      const fw = factorWeights[f] as number;
      total += fw * value;
      wsum += fw;
    }
    return clamp01(total / wsum);
  }
}

class ComputedTable implements ReputationTable {
  readonly at: number;
  readonly unanchored: boolean;
  readonly #space: AgentSpace;
  readonly #briefs: readonly ReputationBrief[];
  readonly #cols: Columns;
  readonly #anchor: Uint8Array;

  constructor(
    at: number,
    space: AgentSpace,
    briefs: readonly ReputationBrief[],
    cols: Columns,
    anchor: Uint8Array,
    unanchored: boolean,
  ) {
    this.at = at;
    this.#space = space;
    this.#briefs = briefs;
    this.#cols = cols;
    this.#anchor = anchor;
    this.unanchored = unanchored;
  }

  brief(did: string): ReputationBrief {
    return this.#briefs[this.#space.indexOf(did)] ?? NEUTRAL;
  }

  get(did: string): Reputation {
    const i = this.#space.indexOf(did);
    const b = this.#briefs[i];
    if (b === undefined) return neutralReputation(did, this.unanchored);
    const factors = {} as Record<Factor, FactorScore>;
    for (let f = 0; f < F; f++) {
      const k = i * F + f;
      factors[FACTORS[f] as Factor] = {
        value: this.#cols.value[k] as number,
        evidence: this.#cols.evidence[k] as number,
        weight: this.#cols.weight[k] as number,
      };
    }
    const anchor = this.#anchor[i] === 1;
    const trustSource: TrustSource = anchor ? "anchor" : b.trust > 0 ? "ratings" : "none";
    return {
      did,
      score: b.score,
      factors,
      trust: b.trust,
      newcomer: b.newcomer,
      anchor,
      trustSource,
      unanchored: this.unanchored,
    };
  }
}

interface ParsedModelOptions {
  priorWeight: number;
  observerWeight: number;
  newcomerThreshold: number;
  factorWeights: number[];
  alpha: number;
  sourceBudget: number;
  pairBudget: number;
}

function parseModelOptions(opts: ModelOptions, at: number): ParsedModelOptions {
  const bad = (what: string) => new PlexusError(ErrorCode.InvalidArgument, what);
  if (!Number.isFinite(at)) throw bad(`reputation time ${at} is not a finite log time`);
  const priorWeight = opts.priorWeight ?? 2;
  const observerWeight = opts.observerWeight ?? 0.2;
  const newcomerThreshold = opts.newcomerThreshold ?? 1;
  const weights = opts.factorWeights ?? DEFAULT_FACTOR_WEIGHTS;
  const factorWeights = FACTORS.map((f) => weights[f]);
  const sourceBudget = opts.sourceBudget ?? 50;
  const pairBudget = opts.pairBudget ?? 10;
  for (const [name, v] of [
    ["sourceBudget", sourceBudget],
    ["pairBudget", pairBudget],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw bad(`${name} must be a finite number > 0, not ${v}`);
  }
  for (const [name, v] of [
    ["priorWeight", priorWeight],
    ["observerWeight", observerWeight],
    ["newcomerThreshold", newcomerThreshold],
  ] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw bad(`${name} must be a finite number ≥ 0, not ${v}`);
  }
  if (!factorWeights.every((w) => Number.isFinite(w) && w >= 0) || !(factorWeights.reduce((a, b) => a + b, 0) > 0)) {
    throw bad("factorWeights must be finite, ≥ 0 and not all 0");
  }
  return {
    priorWeight,
    observerWeight,
    newcomerThreshold,
    factorWeights,
    alpha: opts.alpha ?? 0.15,
    sourceBudget,
    pairBudget,
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : Math.min(x, 1);
}
