import { ErrorCode, PlexusError } from "@plexus/core";
import { decayFactor } from "./decayed-sum.js";
import { FACTOR_COUNT, PAIR_WIDTH, RATED, REGISTRY_ID } from "./ledger.js";
import type { EvidenceLedger } from "./ledger.js";

export interface TrustOptions {
  /** Weight of the pre-trust vector in each step (EigenTrust's a). Default 0.15. */
  alpha?: number;
  /** Stop once the L1 change of an iteration is below this. Default 1e-9. */
  tolerance?: number;
  /** Default 50. */
  maxIterations?: number;
  /** The most samples of one pair (source, subject) that count in the source's `volume` (default: no limit). */
  pairBudget?: number;
}

/** The agents of one computation, mapped both ways onto ledger ids. */
export class AgentSpace {
  /** The agents, de-duplicated, in the order given. */
  readonly agents: readonly string[];
  /** Ledger id of each agent, or -1 when the ledger has never seen it. */
  readonly ledgerIds: Int32Array;
  /** Agent index of each ledger id known when the space was made, or -1. */
  readonly #agentOf: Int32Array;
  /** Agents the ledger had never seen. */
  readonly #unseen = new Map<string, number>();
  readonly #ledger: EvidenceLedger;

  constructor(ledger: EvidenceLedger, agents: readonly string[]) {
    this.#ledger = ledger;
    this.#agentOf = new Int32Array(ledger.idCount).fill(-1);
    const ids: number[] = [];
    const unique: string[] = [];
    for (const did of agents) {
      const id = ledger.idOf(did);
      if (id === undefined ? this.#unseen.has(did) : id === REGISTRY_ID || (this.#agentOf[id] as number) >= 0) continue;
      if (id === undefined) this.#unseen.set(did, unique.length);
      else this.#agentOf[id] = unique.length;
      ids.push(id ?? -1);
      unique.push(did);
    }
    this.agents = unique;
    this.ledgerIds = Int32Array.from(ids);
  }

  /** Agent index of a ledger id, or -1 (the registry, and parties that are not agents). */
  agentOfId(id: number): number {
    return id >= 0 && id < this.#agentOf.length ? (this.#agentOf[id] as number) : -1;
  }

  /** Agent index of a DID, or -1. O(1); stays right while the ledger grows. */
  indexOf(did: string): number {
    const id = this.#ledger.idOf(did);
    const i = id === undefined ? -1 : this.agentOfId(id);
    return i >= 0 ? i : (this.#unseen.get(did) ?? -1);
  }
}

export interface TrustResult {
  readonly space: AgentSpace;
  /** Global trust per agent of `space`, scaled so that the most trusted agent has 1 (all 0 without anchors). */
  readonly trust: Float64Array;
  /** Global trust per agent before scaling: a probability vector over the agents (sums to 1; all 0 without anchors). */
  readonly mass: Float64Array;
  readonly iterations: number;
  /** True when no anchor is among the agents: then nobody is trusted and no rating or observation carries weight. */
  readonly unanchored: boolean;
  /** 1 for the agents that are anchors (pre-trusted), else 0. */
  readonly anchor: Uint8Array;
  /**
   * Per agent, the decayed number of samples it is the source of (ratings it gave, observations in which it was the
   * counterpart), over all subjects and factors, each subject counting at most `pairBudget`: what the model divides
   * its evidence budget by.
   */
  readonly volume: Float64Array;
  /** decayTo(at) of every pair, in the order agents × pairsOf(ledgerId) (so the model need not recompute it). */
  readonly decay: Float64Array;
  /** Each pair's samples over all factors, decayed to `at`, in the same order as `decay`. */
  readonly samples: Float64Array;
}

/** Incoming local-trust edges of agent j: from[start[j]..start[j+1]), row-normalised weights. */
interface Graph {
  start: Int32Array;
  from: Int32Array;
  weight: Float64Array;
  /** Agents whose row has no mass: their trust is redistributed along the pre-trust vector. */
  dangling: Int32Array;
  decay: Float64Array;
  samples: Float64Array;
  volume: Float64Array;
}

/**
 * EigenTrust over the ratings in `ledger`, decayed to `at`. Local trust c_ij is the decayed sum of the scores of the
 * ratings i gave j (self-ratings ignored), row-normalised: only ratings, deliberate acts bound to a conversation,
 * confer trust; observations of automatic traffic (receipts, replies, heartbeats) never do. Global trust is the
 * fixpoint of t = (1−α)·Cᵀt + α·p, p uniform over the `anchors` among `agents` (a rater without ratings hands its
 * trust back along p), iterated in the order of `agents` until the L1 change is below `tolerance`.
 *
 * Without an anchor among the agents there is no pre-trust at all: every trust is 0 (`unanchored`). A region that
 * no anchor reaches through ratings gets nothing, however large it is and however it rates itself; a region that
 * is reached through a set of edges E gets at most (1−α)/α · Σ_{(i→s) ∈ E} t_i·c_is of the mass (the Sybil bound,
 * tested in reputation-sybil.test.ts).
 */
export function computeTrust(
  ledger: EvidenceLedger,
  agents: readonly string[] | AgentSpace,
  anchors: ReadonlySet<string>,
  at: number,
  opts: TrustOptions = {},
): TrustResult {
  const { alpha, tolerance, maxIterations, pairBudget } = parseTrustOptions(opts);
  const space = agents instanceof AgentSpace ? agents : new AgentSpace(ledger, agents);
  const n = space.agents.length;
  const { p, anchor, unanchored } = preTrust(space, anchors);
  const graph = buildGraph(ledger, space, at, pairBudget);
  let t = Float64Array.from(p);
  let next = new Float64Array(n);
  let iterations = 0;
  while (!unanchored && iterations < maxIterations) {
    iterations++;
    const delta = step(graph, t, next, p, alpha);
    [t, next] = [next, t];
    if (delta < tolerance) break;
  }
  const mass = Float64Array.from(t);
  scaleToMax(t);
  return {
    space,
    trust: t,
    mass,
    iterations,
    unanchored,
    anchor,
    volume: graph.volume,
    decay: graph.decay,
    samples: graph.samples,
  };
}

function parseTrustOptions(opts: TrustOptions): Required<TrustOptions> {
  const alpha = opts.alpha ?? 0.15;
  const pairBudget = opts.pairBudget ?? Number.POSITIVE_INFINITY;
  if (!(pairBudget > 0)) throw new PlexusError(ErrorCode.InvalidArgument, `pairBudget must be > 0, not ${pairBudget}`);
  const tolerance = opts.tolerance ?? 1e-9;
  const maxIterations = opts.maxIterations ?? 50;
  if (!(alpha > 0 && alpha <= 1))
    throw new PlexusError(ErrorCode.InvalidArgument, `alpha must be in (0,1], not ${alpha}`);
  if (!(tolerance >= 0)) throw new PlexusError(ErrorCode.InvalidArgument, `tolerance must be ≥ 0, not ${tolerance}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new PlexusError(ErrorCode.InvalidArgument, `maxIterations must be a positive integer, not ${maxIterations}`);
  }
  return { alpha, tolerance, maxIterations, pairBudget };
}

function preTrust(
  space: AgentSpace,
  anchors: ReadonlySet<string>,
): { p: Float64Array; anchor: Uint8Array; unanchored: boolean } {
  const n = space.agents.length;
  const p = new Float64Array(n);
  const anchor = new Uint8Array(n);
  let m = 0;
  for (const did of anchors) {
    const j = space.indexOf(did);
    if (j >= 0 && anchor[j] === 0) {
      anchor[j] = 1;
      m++;
    }
  }
  for (let j = 0; j < n; j++) p[j] = (anchor[j] as number) / (m || 1);
  return { p, anchor, unanchored: m === 0 };
}

function buildGraph(ledger: EvidenceLedger, space: AgentSpace, at: number, pairBudget: number): Graph {
  const n = space.agents.length;
  const { other, refs, sums } = ledger.view();
  const h = ledger.halfLifeMs;
  const start = new Int32Array(n + 1);
  const from = new Int32Array(ledger.pairCount);
  const weight = new Float64Array(ledger.pairCount);
  const decay = new Float64Array(ledger.pairCount);
  const pairSamples = new Float64Array(ledger.pairCount);
  const rowSum = new Float64Array(n);
  const volume = new Float64Array(n);
  let edges = 0;
  let pairs = 0;
  for (let j = 0; j < n; j++) {
    start[j] = edges;
    for (const p of ledger.pairsOf(space.ledgerIds[j] as number) ?? []) {
      const d = decayFactor(at - (refs[p] as number), h);
      const base = p * PAIR_WIDTH;
      let samples = 0;
      for (let k = base + FACTOR_COUNT, end = k + FACTOR_COUNT; k < end; k++) samples += sums[k] as number;
      samples *= d;
      pairSamples[pairs] = samples;
      decay[pairs++] = d;
      const i = space.agentOfId(other[p] as number);
      if (i < 0 || i === j) continue;
      volume[i] = (volume[i] as number) + Math.min(samples, pairBudget);
      const s = (sums[base + RATED] as number) * d;
      if (!(s > 0)) continue;
      from[edges] = i;
      weight[edges++] = s;
      rowSum[i] = (rowSum[i] as number) + s;
    }
  }
  start[n] = edges;
  for (let e = 0; e < edges; e++) weight[e] = (weight[e] as number) / (rowSum[from[e] as number] as number);
  const dangling: number[] = [];
  for (let i = 0; i < n; i++) if (!((rowSum[i] as number) > 0)) dangling.push(i);
  return {
    start,
    from,
    weight,
    dangling: Int32Array.from(dangling),
    decay: decay.subarray(0, pairs),
    samples: pairSamples.subarray(0, pairs),
    volume,
  };
}

/** One power-iteration step into `next`; returns the L1 change. */
function step(g: Graph, t: Float64Array, next: Float64Array, p: Float64Array, alpha: number): number {
  let danglingMass = 0;
  for (let k = 0; k < g.dangling.length; k++) danglingMass += t[g.dangling[k] as number] as number;
  let delta = 0;
  for (let j = 0; j < t.length; j++) {
    let acc = 0;
    const end = g.start[j + 1] as number;
    for (let e = g.start[j] as number; e < end; e++)
      acc += (g.weight[e] as number) * (t[g.from[e] as number] as number);
    const pj = p[j] as number;
    const v = (1 - alpha) * (acc + danglingMass * pj) + alpha * pj;
    next[j] = v;
    delta += Math.abs(v - (t[j] as number));
  }
  return delta;
}

function scaleToMax(t: Float64Array): void {
  let max = 0;
  for (let i = 0; i < t.length; i++) if ((t[i] as number) > max) max = t[i] as number;
  for (let i = 0; i < t.length; i++) t[i] = max > 0 ? Math.min(1, (t[i] as number) / max) : 0;
}
