/** Building blocks of the card index: posting sets, per-query relevance sums, and map-of-set helpers. */

/** A set of slots, with an array copy of its members for fast iteration (rebuilt lazily after a change). */
export class Postings {
  readonly #set = new Set<number>();
  #list: Int32Array | undefined;

  get size(): number {
    return this.#set.size;
  }

  has(slot: number): boolean {
    return this.#set.has(slot);
  }

  add(slot: number): void {
    this.#set.add(slot);
    this.#list = undefined;
  }

  delete(slot: number): void {
    this.#set.delete(slot);
    this.#list = undefined;
  }

  /** The members in insertion order. */
  list(): Int32Array {
    return (this.#list ??= Int32Array.from(this.#set));
  }
}

/** Per-slot relevance sums for one query, reused across queries (a generation stamp instead of clearing). */
export class TextScores {
  #sum = new Float64Array(0);
  #term = new Int32Array(0);
  #gen = new Uint32Array(0);
  #slots = new Int32Array(0);
  #g = 0;
  /** How many slots the current query touched (see slot()). */
  touched = 0;

  begin(capacity: number): void {
    if (this.#sum.length < capacity || this.#g === 0xffffffff) {
      const size = Math.max(capacity, this.#sum.length * 2, 16);
      this.#sum = new Float64Array(size);
      this.#term = new Int32Array(size);
      this.#gen = new Uint32Array(size);
      this.#slots = new Int32Array(size);
      this.#g = 0;
    }
    this.#g++;
    this.touched = 0;
  }

  /** Adds the idf of term `ti` to a slot, once per term. */
  add(slot: number, ti: number, idf: number): void {
    if (this.#gen[slot] !== this.#g) {
      this.#gen[slot] = this.#g;
      this.#sum[slot] = 0;
      this.#term[slot] = -1;
      this.#slots[this.touched++] = slot;
    }
    if (this.#term[slot] === ti) return;
    this.#term[slot] = ti;
    this.#sum[slot] = (this.#sum[slot] as number) + idf;
  }

  /** The k-th touched slot, in order of first touch. */
  slot(k: number): number {
    return this.#slots[k] as number;
  }

  sum(slot: number): number {
    return this.#sum[slot] as number;
  }
}

export interface MemberSet<T> {
  readonly size: number;
  add(value: T): unknown;
  delete(value: T): unknown;
}

/** Adds `value` to the set under `key` (made by `make`); true when the set was created. */
export function addTo<T>(map: Map<string, MemberSet<T>>, key: string, value: T, make: () => MemberSet<T>): boolean {
  const set = map.get(key);
  if (set !== undefined) {
    set.add(value);
    return false;
  }
  const created = make();
  created.add(value);
  map.set(key, created);
  return true;
}

/** Removes `value` from the set under `key`; true when the set became empty and was dropped. */
export function removeFrom<T>(map: Map<string, MemberSet<T>>, key: string, value: T): boolean {
  const set = map.get(key);
  if (set === undefined) return false;
  set.delete(value);
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
