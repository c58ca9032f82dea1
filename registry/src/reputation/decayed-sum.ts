/**
 * Exponentially decaying sums that never overflow: stored values are already decayed to a reference time, so reading
 * or adding at a later time only multiplies by 2^(-Δt/halfLife) ≤ 1. All times are log times in ms; nothing here
 * reads a clock, so equal inputs give bit-identical results.
 */

/**
 * 2^(-dt/halfLifeMs) for dt > 0, and 1 for dt ≤ 0: reading "into the past" never grows a value. Computed as
 * exp(-dt·ln2/halfLife), several times faster than Math.pow in V8 and just as deterministic (V8 computes both in
 * software, identically on every platform).
 */
export function decayFactor(dt: number, halfLifeMs: number): number {
  return dt > 0 ? Math.exp((-dt * Math.LN2) / halfLifeMs) : 1;
}

/**
 * Groups of `width` decayed sums, each group sharing one reference time (one `pow` per update, not one per sum),
 * stored column-wise in growable typed arrays: value i of group g is `values[g * width + i]`, decayed to `refs[g]`.
 * Adding at t ≥ ref decays the whole group to t and moves ref to t; adding at t < ref (a late sample) adds the
 * sample already decayed to ref, which is the same total as if it had arrived in order.
 */
export class DecayedSumColumns {
  readonly width: number;
  readonly halfLifeMs: number;
  #refs = new Float64Array(16);
  #values: Float64Array;
  #size = 0;

  constructor(width: number, halfLifeMs: number) {
    this.width = width;
    this.halfLifeMs = halfLifeMs;
    this.#values = new Float64Array(16 * width);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends a group referenced at `ref`, zero or holding `values` (already decayed to ref); returns its index. */
  push(ref: number, values?: ArrayLike<number>): number {
    if (this.#size === this.#refs.length) this.#grow();
    const g = this.#size++;
    this.#refs[g] = ref;
    if (values !== undefined) for (let i = 0; i < this.width; i++) this.#values[g * this.width + i] = values[i] ?? 0;
    return g;
  }

  add(g: number, i: number, x: number, at: number): void {
    const ref = this.#refs[g] as number;
    const base = g * this.width;
    if (at > ref) {
      const f = decayFactor(at - ref, this.halfLifeMs);
      for (let k = base; k < base + this.width; k++) this.#values[k] = (this.#values[k] as number) * f;
      this.#refs[g] = at;
      this.#values[base + i] = (this.#values[base + i] as number) + x;
    } else {
      this.#values[base + i] = (this.#values[base + i] as number) + x * decayFactor(ref - at, this.halfLifeMs);
    }
  }

  ref(g: number): number {
    return this.#refs[g] as number;
  }

  /** Value i of group g, decayed to the group's reference time. */
  raw(g: number, i: number): number {
    return this.#values[g * this.width + i] as number;
  }

  /** The factor that turns group g's stored values into their values at `at` (1 for at ≤ ref). */
  decayTo(g: number, at: number): number {
    return decayFactor(at - (this.#refs[g] as number), this.halfLifeMs);
  }

  /** Value i of group g decayed to `at` (at < ref reads the value at ref). */
  read(g: number, i: number, at: number): number {
    return this.raw(g, i) * this.decayTo(g, at);
  }

  /** The stored values of group g (a copy). */
  group(g: number): number[] {
    return Array.from(this.#values.subarray(g * this.width, (g + 1) * this.width));
  }

  /** The backing columns, for tight read loops; valid until the next push. */
  columns(): { refs: Float64Array; values: Float64Array } {
    return { refs: this.#refs, values: this.#values };
  }

  #grow(): void {
    const refs = new Float64Array(this.#refs.length * 2);
    refs.set(this.#refs);
    const values = new Float64Array(this.#values.length * 2);
    values.set(this.#values);
    this.#refs = refs;
    this.#values = values;
  }
}
