/**
 * An in-memory Merkle tree: every level kept, so any complete subtree is one array lookup. For tests, the proof
 * bench, and building proofs over a log read in full. Not for the sealer (it keeps only the right edge, see
 * tree-builder.ts).
 */
import { nodeHash } from "./hash.js";
import type { NodeSource } from "./tree.js";

export class MemoryTree implements NodeSource {
  /** levels[0] = leaf hashes; levels[h][i] = node over leaves [i·2^h, (i+1)·2^h) once complete. */
  readonly #levels: Uint8Array[][] = [[]];

  constructor(leaves: Iterable<Uint8Array> = []) {
    for (const leaf of leaves) this.push(leaf);
  }

  get size(): number {
    return this.#levels[0]!.length;
  }

  push(leaf: Uint8Array): void {
    this.#levels[0]!.push(leaf);
    let level = 0;
    while (this.#levels[level]!.length % 2 === 0) {
      const row = this.#levels[level]!;
      const parent = nodeHash(row[row.length - 2]!, row[row.length - 1]!);
      (this.#levels[level + 1] ??= []).push(parent);
      level++;
    }
  }

  node(level: number, index: number): Uint8Array {
    const hash = this.#levels[level]?.[index];
    if (!hash) throw new RangeError(`no complete node at level ${level}, index ${index} in a tree of ${this.size}`);
    return hash;
  }
}
