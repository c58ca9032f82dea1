import type { AgentCard } from "@plexus/anp";
import type { ReputationTable } from "../reputation/index.js";
import { Postings, TextScores, addTo, removeFrom } from "./postings.js";

export interface CandidateQuery {
  /** Exact capability name. */
  capability?: string;
  /** Free text, matched word by word (a word of 3+ characters also matches indexed words it is a prefix of). */
  q?: string;
  /** Exact tag. */
  tag?: string;
}

export interface Candidate {
  did: string;
  /** 0..1: Σ idf of the query words the card matches / Σ idf of all query words; 1 without free text. */
  relevance: number;
  /** The agent's score and newcomer flag, filled in when candidates() was given the reputation table. */
  score?: number;
  newcomer?: boolean;
  /** The seniority given to upsert (with the score). */
  senior?: number;
}

/**
 * Receives one candidate: its DID, relevance, score and newcomer flag from the reputation table, and its seniority as
 * given to upsert (smaller is more senior: the tie-break of equal ranks).
 */
export type CandidateVisitor = (
  did: string,
  relevance: number,
  score: number,
  newcomer: boolean,
  senior: number,
) => void;

interface IndexedCard {
  did: string;
  senior: number;
  card: AgentCard;
  capabilities: string[];
  tags: string[];
  tokens: ReadonlySet<string>;
}

interface Term {
  words: string[];
  postings: number;
  idf: number;
}

/** Reputation per slot for one table, so that ranking many candidates reads arrays instead of hashing DIDs. */
interface SlotScores {
  table: ReputationTable;
  score: Float64Array;
  newcomer: Uint8Array;
}

const PREFIX = 3;
const newPostings = () => new Postings();
const newWordSet = () => new Set<string>();

/** Lower-cased runs of letters and digits, at least 2 characters long, each once, in order of appearance. */
export function tokenize(text: string): string[] {
  const out = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (word.length >= 2) out.add(word);
  return [...out];
}

function indexCard(did: string, card: AgentCard, senior: number): IndexedCard {
  const parts = [card.name, card.description, ...(card.tags ?? [])];
  for (const cap of card.capabilities) parts.push(cap.name, cap.description ?? "");
  const capabilities = [...new Set(card.capabilities.map((c) => c.name))];
  return {
    did,
    senior,
    card,
    capabilities,
    tags: [...new Set(card.tags ?? [])],
    tokens: new Set(tokenize(parts.join(" "))),
  };
}

/**
 * Inverted indexes over agent cards: capability → agents, tag → agents, word → agents (document frequencies for idf).
 * Agents are held in dense integer slots (reused after removal), so postings are sets of small integers and text
 * relevance is summed in typed arrays.
 */
export class CardIndex {
  readonly #slotOf = new Map<string, number>();
  readonly #docs: (IndexedCard | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #byCapability = new Map<string, Postings>();
  readonly #byTag = new Map<string, Postings>();
  readonly #byToken = new Map<string, Postings>();
  /** First PREFIX characters → indexed words that start with them. */
  readonly #byPrefix = new Map<string, Set<string>>();
  readonly #text = new TextScores();
  #scores: SlotScores | undefined;

  get size(): number {
    return this.#slotOf.size;
  }

  has(did: string): boolean {
    return this.#slotOf.has(did);
  }

  card(did: string): AgentCard | undefined {
    const slot = this.#slotOf.get(did);
    return slot === undefined ? undefined : this.#docs[slot]?.card;
  }

  /** How many cards contain `token` (exact word). */
  documentFrequency(token: string): number {
    return this.#byToken.get(token)?.size ?? 0;
  }

  /** Indexes (or re-indexes) an agent's card; `seniority` (default 0) is handed to ranking with each candidate. */
  upsert(did: string, card: AgentCard, seniority = 0): void {
    this.remove(did);
    const doc = indexCard(did, card, seniority);
    const slot = this.#free.pop() ?? this.#docs.push(undefined) - 1;
    this.#docs[slot] = doc;
    this.#slotOf.set(did, slot);
    for (const c of doc.capabilities) addTo(this.#byCapability, c, slot, newPostings);
    for (const t of doc.tags) addTo(this.#byTag, t, slot, newPostings);
    for (const w of doc.tokens)
      if (addTo(this.#byToken, w, slot, newPostings) && w.length >= PREFIX)
        addTo(this.#byPrefix, w.slice(0, PREFIX), w, newWordSet);
    if (this.#scores !== undefined) this.#scoreSlot(this.#scores, slot, did);
  }

  remove(did: string): boolean {
    const slot = this.#slotOf.get(did);
    const doc = slot === undefined ? undefined : this.#docs[slot];
    if (slot === undefined || doc === undefined) return false;
    this.#slotOf.delete(did);
    this.#docs[slot] = undefined;
    this.#free.push(slot);
    for (const c of doc.capabilities) removeFrom(this.#byCapability, c, slot);
    for (const t of doc.tags) removeFrom(this.#byTag, t, slot);
    for (const w of doc.tokens)
      if (removeFrom(this.#byToken, w, slot) && w.length >= PREFIX) removeFrom(this.#byPrefix, w.slice(0, PREFIX), w);
    return true;
  }

  /**
   * Caches every indexed agent's score and newcomer flag from `table` (done lazily by the first candidates() call
   * given a new table; call it right after computing a table to keep that cost off the query path).
   */
  useReputation(table: ReputationTable): void {
    if (this.#scores?.table === table) return;
    const scores: SlotScores = {
      table,
      score: new Float64Array(this.#docs.length),
      newcomer: new Uint8Array(this.#docs.length),
    };
    this.#docs.forEach((doc, slot) => doc !== undefined && this.#scoreSlot(scores, slot, doc.did));
    this.#scores = scores;
  }

  /**
   * Agents matching the exact filters (capability, tag) and, with free text, at least one query word. Without any
   * filter or text, every indexed agent. Order unspecified (ranking sorts). Given the reputation table, each
   * candidate also carries its score and newcomer flag.
   */
  candidates(query: CandidateQuery, reputation?: ReputationTable): Candidate[] {
    const out: Candidate[] = [];
    if (reputation === undefined)
      this.#visit(query, (slot, relevance) => void out.push({ did: this.#didAt(slot), relevance }));
    else
      this.forEachCandidate(
        query,
        reputation,
        (did, relevance, score, newcomer, senior) => void out.push({ did, relevance, score, newcomer, senior }),
      );
    return out;
  }

  /** The same candidates as candidates(), handed to `visit` one by one without building a list. */
  forEachCandidate(query: CandidateQuery, reputation: ReputationTable, visit: CandidateVisitor): void {
    this.useReputation(reputation);
    const { score, newcomer } = this.#scores as SlotScores;
    this.#visit(query, (slot, relevance) => {
      const doc = this.#docs[slot] as IndexedCard;
      visit(doc.did, relevance, score[slot] as number, newcomer[slot] === 1, doc.senior);
    });
  }

  #visit(query: CandidateQuery, emit: (slot: number, relevance: number) => void): void {
    const filters: Postings[] = [];
    for (const [map, key] of [
      [this.#byCapability, query.capability],
      [this.#byTag, query.tag],
    ] as const) {
      if (key === undefined) continue;
      const set = map.get(key);
      if (set === undefined) return;
      filters.push(set);
    }
    filters.sort((a, b) => a.size - b.size);
    const [base, other] = filters;
    const terms = this.#terms(query.q ?? "");
    if (terms.length === 0) {
      if (base === undefined) this.#docs.forEach((doc, slot) => doc !== undefined && emit(slot, 1));
      else for (const slot of base.list()) if (other === undefined || other.has(slot)) emit(slot, 1);
      return;
    }
    const total = terms.reduce((s, t) => s + t.idf, 0);
    const postings = terms.reduce((s, t) => s + t.postings, 0);
    if (base !== undefined && base.size * terms.length <= postings) this.#scan(base, other, terms, total, emit);
    else this.#merge(terms, base, other, total, emit);
  }

  #didAt(slot: number): string {
    return (this.#docs[slot] as IndexedCard).did;
  }

  #scoreSlot(scores: SlotScores, slot: number, did: string): void {
    if (slot >= scores.score.length) {
      const size = Math.max(16, this.#docs.length * 2);
      const score = new Float64Array(size);
      score.set(scores.score);
      const newcomer = new Uint8Array(size);
      newcomer.set(scores.newcomer);
      scores.score = score;
      scores.newcomer = newcomer;
    }
    const b = scores.table.brief(did);
    scores.score[slot] = b.score;
    scores.newcomer[slot] = b.newcomer ? 1 : 0;
  }

  /** Query words with the indexed words they match and their idf = ln(1 + N/df). */
  #terms(q: string): Term[] {
    const n = this.size;
    return tokenize(q).map((word) => {
      const words = this.#byToken.has(word) ? [word] : [];
      if (word.length >= PREFIX) {
        for (const w of this.#byPrefix.get(word.slice(0, PREFIX)) ?? [])
          if (w !== word && w.startsWith(word)) words.push(w);
      }
      const postings = words.reduce((s, w) => s + this.documentFrequency(w), 0);
      // The df of a word several indexed words start with is approximated by the sum of theirs (capped at N).
      const df = Math.max(1, Math.min(n, postings));
      return { words, postings, idf: Math.log(1 + n / df) };
    });
  }

  /** Few filtered agents: check each one's words. Sums add up in query order, as in #merge. */
  #scan(
    base: Postings,
    other: Postings | undefined,
    terms: readonly Term[],
    total: number,
    emit: (slot: number, relevance: number) => void,
  ): void {
    for (const slot of base.list()) {
      const tokens = this.#docs[slot]?.tokens;
      if (tokens === undefined || (other !== undefined && !other.has(slot))) continue;
      let sum = 0;
      let hit = false;
      for (const t of terms) {
        if (!hasAny(tokens, t.words)) continue;
        sum += t.idf;
        hit = true;
      }
      if (hit) emit(slot, Math.min(1, sum / total));
    }
  }

  /** Walks the postings of each query word, in query order. */
  #merge(
    terms: readonly Term[],
    base: Postings | undefined,
    other: Postings | undefined,
    total: number,
    emit: (slot: number, relevance: number) => void,
  ): void {
    const text = this.#text;
    text.begin(this.#docs.length);
    terms.forEach((t, ti) => {
      for (const w of t.words) {
        const postings = this.#byToken.get(w)?.list();
        if (postings === undefined) continue;
        for (let k = 0; k < postings.length; k++) {
          const slot = postings[k] as number;
          if ((base === undefined || base.has(slot)) && (other === undefined || other.has(slot)))
            text.add(slot, ti, t.idf);
        }
      }
    });
    for (let k = 0; k < text.touched; k++) {
      const slot = text.slot(k);
      emit(slot, Math.min(1, text.sum(slot) / total));
    }
  }
}

function hasAny(tokens: ReadonlySet<string>, words: readonly string[]): boolean {
  for (const w of words) if (tokens.has(w)) return true;
  return false;
}
