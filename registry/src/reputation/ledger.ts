import { ErrorCode, PlexusError } from "@plexus/core";
import { FACTORS } from "@plexus/anp";
import type { Factor } from "@plexus/anp";
import { DecayedSumColumns } from "./decayed-sum.js";

export interface LedgerOptions {
  /** Half-life of evidence, ms of log time. */
  halfLifeMs: number;
}

/** The party under which samples the registry observed itself (no counterpart) are aggregated: DID "", id 0. */
export const REGISTRY_OBSERVER = "";
export const REGISTRY_ID = 0;

export const LEDGER_SNAPSHOT_FORMAT = "plexus.reputation-ledger/2";

/** [other, ref, decayed sums (Σx per factor, Σ1 per factor, then Σscore and Σ1 of ratings, at ref), raw counts per factor]. */
export type PairSnapshot = [other: string, ref: number, sums: number[], counts: number[]];

export interface LedgerSnapshot {
  format: typeof LEDGER_SNAPSHOT_FORMAT;
  halfLifeMs: number;
  /** Subjects and their pairs, in insertion order. */
  subjects: [subject: string, pairs: PairSnapshot[]][];
}

/** Number of factors; the layout of the columns below depends on it. */
export const FACTOR_COUNT = FACTORS.length;
const F = FACTOR_COUNT;
/** Width of a pair's group of decayed sums: Σx and Σ1 per factor, then the ratings' Σscore and Σ1 (RATED, RATED + 1). */
export const PAIR_WIDTH = 2 * F + 2;
/** Offset in a pair's group of the ratings' decayed Σscore (all factors); Σ1 follows it. */
export const RATED = 2 * F;
const FACTOR_INDEX = new Map<string, number>(FACTORS.map((f, i) => [f, i]));
/** Above this many parties per subject, pairs are also found through a map instead of a scan. */
const SCAN_LIMIT = 8;

/**
 * Columnar, read-only view of all pairs (subject, party), valid until the next write. For pair p:
 * `other[p]` is the party's ledger id (REGISTRY_ID for registry observations), `refs[p]` the reference time,
 * `sums[p·W + f]` the decayed Σx and `sums[p·W + F + f]` the decayed Σ1 of factor f at refs[p] (ratings and
 * observations alike), `sums[p·W + RATED]` and `sums[p·W + RATED + 1]` the decayed Σscore and Σ1 of the pair's
 * ratings alone (what EigenTrust reads: only deliberate acts confer trust), and `counts[p·F + f]` the raw count.
 * F = FACTOR_COUNT, W = PAIR_WIDTH, factors in FACTORS order.
 */
export interface EvidenceView {
  readonly other: Int32Array;
  readonly refs: Float64Array;
  readonly sums: Float64Array;
  readonly counts: Float64Array;
}

interface SubjectEvidence {
  /** Pair indices, in insertion order. */
  readonly pairs: number[];
  byOther: Map<number, number> | undefined;
}

/**
 * Decayed evidence about agents, fed in log order by the registry projection. A pure function of its inputs: it never
 * reads a clock, so two nodes fed the same log hold identical sums. DIDs are interned to small integer ids
 * (append-only, never reused) so that computing reputation touches arrays, not string maps.
 */
export class EvidenceLedger {
  readonly #sums: DecayedSumColumns;
  #other = new Int32Array(16);
  #counts = new Float64Array(16 * F);
  readonly #ids = new Map<string, number>([[REGISTRY_OBSERVER, REGISTRY_ID]]);
  readonly #dids: string[] = [REGISTRY_OBSERVER];
  readonly #about: (SubjectEvidence | undefined)[] = [];
  /** Subject ids in the order their first evidence arrived. */
  readonly #order: number[] = [];

  constructor(opts: LedgerOptions) {
    if (!(Number.isFinite(opts.halfLifeMs) && opts.halfLifeMs > 0))
      throw invalid(`halfLifeMs must be a positive number, not ${opts.halfLifeMs}`);
    this.#sums = new DecayedSumColumns(PAIR_WIDTH, opts.halfLifeMs);
  }

  get halfLifeMs(): number {
    return this.#sums.halfLifeMs;
  }

  /**
   * An observation about `subject` for `factor`, x in [0,1], made in an interaction with `counterpart` (the agent
   * whose message/request it answered, or who received its receipt), or undefined when the registry itself observed
   * it (heartbeat regularity).
   */
  observe(subject: string, factor: Factor, counterpart: string | undefined, x: number, at: number): void {
    this.#record(subject, counterpart ?? REGISTRY_OBSERVER, factor, x, at);
  }

  /** A rating the registry counted (already checked: real conversation, signed). score in [0,1]. */
  rate(rater: string, ratee: string, factor: Factor, score: number, at: number): void {
    if (rater === REGISTRY_OBSERVER) throw invalid("a rating needs a rater");
    const p = this.#record(ratee, rater, factor, score, at);
    this.#sums.add(p, RATED, score, at);
    this.#sums.add(p, RATED + 1, 1, at);
  }

  /** The agents there is evidence about, in the order their first evidence arrived. */
  *subjects(): Iterable<string> {
    for (const id of this.#order) yield this.#dids[id] as string;
  }

  /**
   * Key rotation: the evidence about `from` and the evidence it gave others become `to`'s, under the same id, so
   * reputation (and the trust others placed in it) follows the agent to its new key. Evidence later recorded under
   * `from` starts afresh. Refused when `to` already has evidence of its own (the two records cannot be told apart).
   */
  rename(from: string, to: string): boolean {
    const id = this.#ids.get(from);
    if (id === undefined) return true;
    if (this.#ids.has(to) || to === REGISTRY_OBSERVER) return false;
    this.#ids.delete(from);
    this.#ids.set(to, id);
    this.#dids[id] = to;
    return true;
  }

  /** The id of a DID seen as subject or party, if any. Ids are append-only and never reused. */
  idOf(did: string): number | undefined {
    return this.#ids.get(did);
  }

  didOf(id: number): string | undefined {
    return this.#dids[id];
  }

  /** Ids are 0 ≤ id < idCount. */
  get idCount(): number {
    return this.#dids.length;
  }

  /** Number of (subject, party) pairs; pair indices are 0 ≤ p < pairCount. */
  get pairCount(): number {
    return this.#sums.size;
  }

  /** Indices (into view()) of the pairs about the subject with this id, in insertion order. */
  pairsOf(id: number): readonly number[] | undefined {
    return this.#about[id]?.pairs;
  }

  view(): EvidenceView {
    const { refs, values } = this.#sums.columns();
    return { other: this.#other, refs, sums: values, counts: this.#counts };
  }

  toJSON(): LedgerSnapshot {
    const subjects = this.#order.map((id): [string, PairSnapshot[]] => [
      this.#dids[id] as string,
      (this.#about[id]?.pairs ?? []).map((p) => [
        this.#dids[this.#other[p] as number] as string,
        this.#sums.ref(p),
        this.#sums.group(p),
        Array.from(this.#counts.subarray(p * F, (p + 1) * F)),
      ]),
    ]);
    return { format: LEDGER_SNAPSHOT_FORMAT, halfLifeMs: this.halfLifeMs, subjects };
  }

  static fromJSON(s: LedgerSnapshot, opts: LedgerOptions): EvidenceLedger {
    const ledger = new EvidenceLedger(opts);
    if (s.format !== LEDGER_SNAPSHOT_FORMAT) throw invalid(`not a ${LEDGER_SNAPSHOT_FORMAT} snapshot`);
    if (s.halfLifeMs !== ledger.halfLifeMs)
      throw invalid(`the snapshot was taken with halfLifeMs ${s.halfLifeMs}, not ${ledger.halfLifeMs}`);
    for (const [subject, pairs] of s.subjects) {
      if (typeof subject !== "string" || subject === REGISTRY_OBSERVER)
        throw invalid("a snapshot subject is not a DID");
      const sid = ledger.#intern(subject);
      for (const [other, ref, sums, counts] of pairs) {
        if (
          !Number.isFinite(ref) ||
          sums.length !== PAIR_WIDTH ||
          counts.length !== F ||
          ![...sums, ...counts].every(isSaneNumber)
        ) {
          throw invalid(`malformed evidence about ${subject} from "${other}"`);
        }
        const p = ledger.#newPair(sid, ledger.#intern(other), ref, sums);
        ledger.#counts.set(counts, p * F);
      }
    }
    return ledger;
  }

  /** Records one sample and returns the index of its pair. */
  #record(subject: string, other: string, factor: Factor, x: number, at: number): number {
    const k = FACTOR_INDEX.get(factor);
    if (k === undefined) throw invalid(`unknown factor ${String(factor)}`);
    if (typeof subject !== "string" || subject === REGISTRY_OBSERVER) throw invalid("evidence needs a subject");
    if (!(x >= 0 && x <= 1)) throw invalid(`evidence ${x} is not in [0,1]`);
    if (!Number.isFinite(at)) throw invalid(`evidence time ${at} is not a finite log time`);
    const p = this.#pair(this.#intern(subject), this.#intern(other), at);
    this.#sums.add(p, k, x, at);
    this.#sums.add(p, F + k, 1, at);
    this.#counts[p * F + k] = (this.#counts[p * F + k] as number) + 1;
    return p;
  }

  #intern(did: string): number {
    let id = this.#ids.get(did);
    if (id === undefined) {
      id = this.#dids.push(did) - 1;
      this.#ids.set(did, id);
    }
    return id;
  }

  #pair(subject: number, other: number, at: number): number {
    const s = this.#about[subject];
    const found =
      s === undefined
        ? undefined
        : s.byOther !== undefined
          ? s.byOther.get(other)
          : s.pairs.find((p) => this.#other[p] === other);
    return found ?? this.#newPair(subject, other, at);
  }

  #newPair(subject: number, other: number, ref: number, sums?: readonly number[]): number {
    let s = this.#about[subject];
    if (s === undefined) {
      while (this.#about.length < subject) this.#about.push(undefined);
      this.#about[subject] = s = { pairs: [], byOther: undefined };
      this.#order.push(subject);
    }
    const p = this.#sums.push(ref, sums);
    if (p >= this.#other.length) this.#grow();
    this.#other[p] = other;
    s.pairs.push(p);
    if (s.byOther !== undefined) s.byOther.set(other, p);
    else if (s.pairs.length > SCAN_LIMIT) s.byOther = new Map(s.pairs.map((q) => [this.#other[q] as number, q]));
    return p;
  }

  #grow(): void {
    const other = new Int32Array(this.#other.length * 2);
    other.set(this.#other);
    const counts = new Float64Array(this.#counts.length * 2);
    counts.set(this.#counts);
    this.#other = other;
    this.#counts = counts;
  }
}

function isSaneNumber(n: unknown): boolean {
  return typeof n === "number" && Number.isFinite(n) && n >= 0;
}

function invalid(message: string): PlexusError {
  return new PlexusError(ErrorCode.InvalidArgument, message);
}
