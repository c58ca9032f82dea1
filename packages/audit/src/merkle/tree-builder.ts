/**
 * The sealer's Merkle tree: fed the leaf hash of each confirmed position in order, it keeps only the right edge (one
 * partial tile per level, at most 256 hashes each) and hands out the full tiles it completes, for the tile store.
 * O(1) amortised per leaf (a full level-0 tile costs 255 node hashes, i.e. about one per leaf).
 *
 * `snapshot()` is what a checkpoint needs, taken synchronously so that it describes one size: the size, the root, the
 * full tiles not yet handed out, and the edge as partial tiles (to store next to them so proofs at this size need no
 * replay).
 */
import { EMPTY_ROOT } from "./hash.js";
import { edgeTiles, perfectRoot, TILE_WIDTH, TileNodes } from "./tiles.js";
import { rootAt } from "./tree.js";

export interface Tile {
  level: number;
  index: number;
  hashes: Uint8Array[];
}

export interface TreeSnapshot {
  size: number;
  root: Uint8Array;
  /** Full tiles completed since the last snapshot, lowest level first within each completion. */
  full: Tile[];
  /** The right edge: the partial tile of each level that has one. */
  partial: Tile[];
}

export class TreeBuilder {
  #size = 0;
  /** edges[L]: the hashes of level L's partial tile (fewer than 256). */
  readonly #edges: Uint8Array[][] = [[]];
  #full: Tile[] = [];

  /** Starts from the right edge of a tree of `size` leaves (e.g. read back from the tile store). */
  static resume(size: number, edge: Tile[]): TreeBuilder {
    const b = new TreeBuilder();
    b.#size = size;
    for (const want of edgeTiles(size)) {
      const tile = edge.find((t) => t.level === want.level && t.index === want.index);
      if (!tile || tile.hashes.length < want.width)
        throw new RangeError(`the edge tile ${want.level}/${want.index} (${want.width} hashes) is missing`);
      b.#edges[want.level] = tile.hashes.slice(0, want.width);
    }
    for (let l = 0; l < b.#edges.length; l++) b.#edges[l] ??= [];
    return b;
  }

  get size(): number {
    return this.#size;
  }

  push(leaf: Uint8Array): void {
    this.#size++;
    let level = 0;
    let hash = leaf;
    for (;;) {
      const row = (this.#edges[level] ??= []);
      row.push(hash);
      if (row.length < TILE_WIDTH) return;
      const index = Math.floor((this.#size - 1) / TILE_WIDTH ** (level + 1));
      this.#full.push({ level, index, hashes: row });
      this.#edges[level] = [];
      hash = perfectRoot(row);
      level++;
    }
  }

  root(): Uint8Array {
    return this.#size === 0 ? EMPTY_ROOT : rootAt(this.#nodes(), this.#size);
  }

  /** The edge as partial tiles. */
  partialTiles(): Tile[] {
    return edgeTiles(this.#size).map((t) => ({
      level: t.level,
      index: t.index,
      hashes: this.#edges[t.level]!.slice(),
    }));
  }

  /** Size, root, the full tiles completed since the last call (handed over), and the edge. */
  snapshot(): TreeSnapshot {
    const full = this.#full;
    this.#full = [];
    return { size: this.#size, root: this.root(), full, partial: this.partialTiles() };
  }

  /** Gives back full tiles a failed write could not store, to be written with the next snapshot. */
  restore(full: Tile[]): void {
    this.#full = [...full, ...this.#full];
  }

  #nodes(): TileNodes {
    const nodes = new TileNodes();
    for (const t of this.partialTiles()) nodes.set(t.level, t.index, t.hashes);
    return nodes;
  }
}
