/**
 * Merkle tree hashes and proofs (RFC 9162 §2.1.2–2.1.4) over any source of complete subtree hashes.
 *
 * A `NodeSource` answers node(level, index): the root of the complete subtree over leaves
 * [index·2^level, (index+1)·2^level). Everything here asks only for complete subtrees inside the tree of the size
 * asked about, so a source may hold just those (the stored tiles, or an in-memory tree). `subtreeHash(a, b)` is
 * MTH(D[a:b]) for the ranges RFC 9162's recursions produce (a aligned to the largest power of two below b - a).
 */
import { EMPTY_ROOT, nodeHash } from "./hash.js";

export interface NodeSource {
  node(level: number, index: number): Uint8Array;
}

/** The largest power of two smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Exactly a power of two, for any safe integer. (`Number.isInteger(Math.log2(n))` is not: it says yes to 2^k + 1 from
 * k = 49 on, where log2 rounds.)
 */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** MTH(D[start:end]). */
export function subtreeHash(source: NodeSource, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n <= 0) return EMPTY_ROOT;
  if (isPowerOfTwo(n) && start % n === 0) return source.node(Math.round(Math.log2(n)), start / n);
  const k = splitPoint(n);
  return nodeHash(subtreeHash(source, start, start + k), subtreeHash(source, start + k, end));
}

/** The root of the tree of `size` leaves. */
export function rootAt(source: NodeSource, size: number): Uint8Array {
  return subtreeHash(source, 0, size);
}

/** PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), lowest level first. */
export function inclusionPath(source: NodeSource, index: number, size: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  }
  const path: Uint8Array[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(subtreeHash(source, start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(subtreeHash(source, start, start + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1): empty for m = 0 or m = n. */
export function consistencyPath(source: NodeSource, m: number, n: number): Uint8Array[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) {
    throw new RangeError(`no consistency proof from size ${m} to size ${n}`);
  }
  if (m === 0 || m === n) return [];
  const proof: Uint8Array[] = [];
  const sub = (m: number, start: number, end: number, complete: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!complete) proof.push(subtreeHash(source, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, complete);
      proof.push(subtreeHash(source, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      proof.push(subtreeHash(source, start, start + k));
    }
  };
  sub(m, 0, n, true);
  return proof;
}

/**
 * The complete subtrees a proof for (index or m, size) needs, without hashing: runs the recursion against a source
 * that records what it is asked for. A store reads those (as tiles) before building the proof.
 */
export function nodesNeeded(build: (source: NodeSource) => unknown): { level: number; index: number }[] {
  const asked: { level: number; index: number }[] = [];
  const zero = new Uint8Array(32);
  build({
    node(level, index) {
      asked.push({ level, index });
      return zero;
    },
  });
  return asked;
}
