import { ErrorCode, PlexusError } from "@plexus/core";
import type {
  AgentCard,
  CapabilityClaim,
  CredentialStatus,
  DiscoverQuery,
  DiscoverResult,
  Liveness,
} from "@plexus/anp";
import type { ReputationTable } from "../reputation/index.js";
import { CardIndex } from "./card-index.js";
import type { Candidate, CandidateVisitor } from "./card-index.js";

/** What ranking needs to know about a candidate from the registry's read model. */
export interface RankedAgentInfo {
  card: AgentCard;
  liveness: Liveness;
  lastHeartbeat: number | null;
  credential: CredentialStatus;
  /** The card's capabilities with their attestations (default: all self-declared). */
  claims?: CapabilityClaim[];
}

/** Returns undefined for an agent that must not be listed (for example one that left). */
export type RankLookup = (did: string) => RankedAgentInfo | undefined;

/**
 * The tie-break after rank: smaller is better. The registry gives the log time of the agent's first join (seniority:
 * an identity made later, including one made to shed a bad record, comes after the ones already there). The CardIndex
 * hands each candidate's own (given to upsert); this is asked only for candidates that come as a list without one.
 */
export type Seniority = (did: string) => number;

export interface RankOptions {
  /** Share of the list (rounded up, at least one slot) reserved for newcomers. Default 0.1; 0 turns exploration off. */
  explorationShare?: number;
  /** Multiplier of the rank per liveness state. Default alive 1, suspect 0.6, offline 0.2, gone 0.05. */
  livenessWeight?: Record<Liveness, number>;
  /** Tie-break after rank, before the DID, for listed candidates without one (default 0 for all: DID order). */
  seniority?: Seniority;
}

export const DEFAULT_LIVENESS_WEIGHT: Readonly<Record<Liveness, number>> = Object.freeze({
  alive: 1,
  suspect: 0.6,
  offline: 0.2,
  gone: 0.05,
});
export const DEFAULT_DISCOVER_LIMIT = 20;
export const MAX_DISCOVER_LIMIT = 1000;

interface Entry {
  did: string;
  senior: number;
  relevance: number;
  score: number;
  rank: number;
  newcomer: boolean;
  info: RankedAgentInfo;
}

/**
 * Orders candidates by rank = relevance × score × liveness weight (then seniority, then DID), keeping the best `limit` established
 * agents and the best `limit` newcomers in two bounded heaps. Newcomers never push an established agent out of the
 * first `limit − slots` places; up to `slots` = ceil(limit·explorationShare) places at the end go to the best
 * newcomers not already listed, flagged `exploration`. Offline and gone agents are left out unless
 * `includeOffline`; agents scoring below `minScore` always are.
 *
 * `candidates` is either the CardIndex itself (the fast path: it streams the query's candidates with scores cached
 * per slot, no list and no DID hashing per candidate) or any list of candidates (scores from `reputation` when
 * a candidate does not carry them). `lookup` is called only for candidates that can still make the list.
 */
export function rankDiscovery(
  query: DiscoverQuery,
  candidates: CardIndex | Iterable<Candidate>,
  lookup: RankLookup,
  reputation: ReputationTable,
  opts: RankOptions = {},
): DiscoverResult[] {
  const limit = parseLimit(query.limit);
  const slots = explorationSlots(limit, opts.explorationShare ?? 0.1);
  const weights = opts.livenessWeight ?? DEFAULT_LIVENESS_WEIGHT;
  const listed = (l: Liveness) => query.includeOffline === true || (l !== "offline" && l !== "gone");
  const maxWeight = Math.max(0, ...(Object.keys(weights) as Liveness[]).filter(listed).map((l) => weights[l]));
  const minScore = query.minScore ?? -Infinity;
  if (limit === 0) return [];
  const seniority = opts.seniority ?? (() => 0);
  const established = new TopK(limit);
  const newcomers = new TopK(limit);
  const protectedPlaces = limit - slots;
  const consider: CandidateVisitor = (did, relevance, score, newcomer, senior) => {
    if (score < minScore) return;
    const heap = newcomer ? newcomers : established;
    if (!heap.mayAccept(relevance * score * maxWeight, senior, did)) return;
    const info = lookup(did);
    if (info === undefined || !listed(info.liveness)) return;
    heap.offer({
      did,
      senior,
      relevance,
      score,
      rank: relevance * score * (weights[info.liveness] ?? 0),
      newcomer,
      info,
    });
    // Once the protected places are taken by established agents, only the best `slots` newcomers can be listed.
    if (!newcomer && established.size === protectedPlaces) newcomers.shrink(slots);
  };
  if (candidates instanceof CardIndex) candidates.forEachCandidate(query, reputation, consider);
  else {
    for (const c of candidates) {
      const b =
        c.score !== undefined && c.newcomer !== undefined ? (c as Required<Candidate>) : reputation.brief(c.did);
      consider(c.did, c.relevance, b.score, b.newcomer, c.senior ?? seniority(c.did));
    }
  }
  const { head, exploring } = arrange(established.sorted(), newcomers.sorted(), limit, slots);
  return [...head.map((e) => toResult(e, false, reputation)), ...exploring.map((e) => toResult(e, true, reputation))];
}

/** Splits the list into ranked places and exploration places (see rankDiscovery). */
function arrange(est: Entry[], nov: Entry[], limit: number, slots: number): { head: Entry[]; exploring: Entry[] } {
  const protectedPlaces = limit - slots;
  if (est.length >= protectedPlaces) {
    const exploring = nov.slice(0, Math.min(slots, nov.length));
    return { head: est.slice(0, limit - exploring.length), exploring };
  }
  const fill = Math.min(protectedPlaces - est.length, nov.length);
  const head = [...est, ...nov.slice(0, fill)].sort(compare);
  return { head, exploring: nov.slice(fill, fill + slots) };
}

function toResult(e: Entry, exploration: boolean, reputation: ReputationTable): DiscoverResult {
  const { card, liveness, lastHeartbeat, credential, claims } = e.info;
  const rep = reputation.get(e.did);
  return {
    did: e.did,
    name: card.name,
    description: card.description,
    capabilities: card.capabilities.map((c) => c.name),
    tags: [...(card.tags ?? [])],
    score: e.score,
    relevance: e.relevance,
    rank: e.rank,
    factors: rep.factors,
    newcomer: e.newcomer,
    trust: rep.trust,
    trustSource: rep.trustSource,
    unanchored: rep.unanchored,
    exploration,
    liveness,
    lastHeartbeat,
    credential: { ...credential },
    claims: claims ?? card.capabilities.map((c) => ({ name: c.name, attested: false, attestedBy: [] })),
  };
}

function parseLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_DISCOVER_LIMIT;
  if (!Number.isFinite(limit) || limit < 0)
    throw new PlexusError(ErrorCode.InvalidArgument, `limit must be a number ≥ 0, not ${limit}`);
  return Math.min(MAX_DISCOVER_LIMIT, Math.floor(limit));
}

/** ceil(limit·share), at least 1 when limit ≥ 1 and share > 0, at most limit. */
export function explorationSlots(limit: number, share: number): number {
  if (!(share >= 0 && share <= 1))
    throw new PlexusError(ErrorCode.InvalidArgument, `explorationShare must be in [0,1], not ${share}`);
  if (limit < 1 || share === 0) return 0;
  // The epsilon keeps 30 × 0.1 = 3.0000000000000004 at 3.
  return Math.min(limit, Math.max(1, Math.ceil(limit * share - 1e-9)));
}

/** Better first: higher rank, then more senior (smaller seniority), then smaller DID (code units, locale-independent). */
function compare(a: Entry, b: Entry): number {
  if (a.rank !== b.rank) return a.rank > b.rank ? -1 : 1;
  if (a.senior !== b.senior) return a.senior < b.senior ? -1 : 1;
  return a.did < b.did ? -1 : a.did > b.did ? 1 : 0;
}

/** The best k entries seen, in a binary min-heap whose root is the worst kept entry. */
class TopK {
  #k: number;
  #heap: Entry[] = [];

  constructor(k: number) {
    this.#k = k;
  }

  get size(): number {
    return this.#heap.length;
  }

  /**
   * False when an entry for `did` whose rank is at most `bound` cannot get in. Ties are broken by seniority and DID
   * here too, so a crowd of equal ranks (newcomers at the neutral score) is turned away without a lookup each.
   */
  mayAccept(bound: number, senior: number, did: string): boolean {
    if (this.#heap.length < this.#k) return true;
    const worst = this.#heap[0];
    if (worst === undefined || bound < worst.rank) return false;
    return bound > worst.rank || senior < worst.senior || (senior === worst.senior && did < worst.did);
  }

  /** Keeps only the best k (never grows). */
  shrink(k: number): void {
    if (k >= this.#k) return;
    this.#k = k;
    // Best-first order, reversed, is worst-first: a valid heap with the worst at the root.
    this.#heap = this.sorted().slice(0, k).reverse();
  }

  offer(e: Entry): void {
    const h = this.#heap;
    if (h.length < this.#k) {
      h.push(e);
      this.#up(h.length - 1);
    } else if (h.length > 0 && compare(e, h[0] as Entry) < 0) {
      h[0] = e;
      this.#down(0);
    }
  }

  sorted(): Entry[] {
    return this.#heap.slice().sort(compare);
  }

  #up(i: number): void {
    const h = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(h[i] as Entry, h[parent] as Entry) <= 0) return;
      [h[i], h[parent]] = [h[parent] as Entry, h[i] as Entry];
      i = parent;
    }
  }

  #down(i: number): void {
    const h = this.#heap;
    for (;;) {
      let worst = i;
      const left = 2 * i + 1;
      if (left < h.length && compare(h[left] as Entry, h[worst] as Entry) > 0) worst = left;
      if (left + 1 < h.length && compare(h[left + 1] as Entry, h[worst] as Entry) > 0) worst = left + 1;
      if (worst === i) return;
      [h[i], h[worst]] = [h[worst] as Entry, h[i] as Entry];
      i = worst;
    }
  }
}
