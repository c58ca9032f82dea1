/**
 * C2SP tlog-tiles geometry: the tree's hashes stored in tiles of height 8. A tile at level L holds up to 256 hashes
 * of tree height 8·L (level 0: leaf hashes; level 1: roots of full level-0 tiles; …); tile N of level L holds the
 * hashes with index 256·N … 256·N+255 at that height. A full tile (256 hashes) never changes; the right edge of the
 * tree is a partial tile (its first W hashes). The tile's body is its hashes concatenated, as in tlog-tiles.
 *
 * `TileNodes` answers any complete subtree (a `NodeSource`) from the tiles it holds, hashing inside one tile (at most
 * 127 hashes for a node 7 levels above the tile's hashes, each computed node kept).
 */
import { HASH_SIZE, nodeHash } from "./hash.js";
import type { NodeSource } from "./tree.js";

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

export interface TileId {
  level: number;
  index: number;
  /** How many hashes of the tile are needed (1…256). */
  width: number;
}

/** The tile holding the stored hashes a complete node (height, index) is made of. */
export function tileOf(height: number, index: number): TileId {
  const level = Math.floor(height / TILE_HEIGHT);
  const span = 2 ** (height - level * TILE_HEIGHT);
  const first = index * span;
  const tile = Math.floor(first / TILE_WIDTH);
  return { level, index: tile, width: first - tile * TILE_WIDTH + span };
}

/** The tiles (each with the largest width asked) that a list of nodes needs. */
export function tilesFor(nodes: readonly { level: number; index: number }[]): TileId[] {
  const byKey = new Map<string, TileId>();
  for (const n of nodes) {
    const t = tileOf(n.level, n.index);
    const key = `${t.level}/${t.index}`;
    const seen = byKey.get(key);
    if (!seen || seen.width < t.width) byKey.set(key, t);
  }
  return [...byKey.values()];
}

/** The partial tiles that make up the right edge of a tree of `size` leaves (empty widths left out), lowest first. */
export function edgeTiles(size: number): TileId[] {
  const edges: TileId[] = [];
  for (let level = 0, below = size; below > 0; level++, below = Math.floor(below / TILE_WIDTH)) {
    const width = below % TILE_WIDTH;
    if (width > 0) edges.push({ level, index: Math.floor(below / TILE_WIDTH), width });
  }
  return edges;
}

/** A tile's body: its hashes concatenated. */
export function encodeTile(hashes: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(hashes.map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength)));
}

/** A tile's hashes from its body; undefined when the body is not a whole number of hashes or has more than 256. */
export function decodeTile(body: Uint8Array): Uint8Array[] | undefined {
  if (body.length % HASH_SIZE !== 0 || body.length / HASH_SIZE > TILE_WIDTH) return undefined;
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += HASH_SIZE) hashes.push(body.subarray(i, i + HASH_SIZE));
  return hashes;
}

/** The root of a perfect tree over `hashes` (a power of two of them). */
export function perfectRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let row = hashes.slice();
  while (row.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) up.push(nodeHash(row[i]!, row[i + 1]!));
    row = up;
  }
  return row[0]!;
}

/**
 * Nodes already computed inside an upper or right-edge tile, by the tile's hashes array: every `TileNodes` handed the
 * same array (a tile cache hands out the same one) shares them, so the tiles every proof of a tree needs are hashed
 * once instead of once per proof. Keyed by local height·256 + local index. A node depends only on the
 * hashes under it, which never change within an array.
 */
const insideTile = new WeakMap<readonly Uint8Array[], Map<number, Uint8Array>>();

export class TileNodes implements NodeSource {
  readonly #tiles = new Map<string, Uint8Array[]>();

  /** Adds (or widens) a tile's hashes. */
  set(level: number, index: number, hashes: Uint8Array[]): void {
    const key = `${level}/${index}`;
    const had = this.#tiles.get(key);
    if (!had || had.length < hashes.length) this.#tiles.set(key, hashes);
  }

  node(height: number, index: number): Uint8Array {
    const t = tileOf(height, index);
    const hashes = this.#tiles.get(`${t.level}/${t.index}`);
    if (!hashes || hashes.length < t.width) {
      throw new RangeError(
        `tile ${t.level}/${t.index} with ${t.width} hashes is needed for node ${height}/${index}, ${hashes?.length ?? 0} held`,
      );
    }
    const local = height - t.level * TILE_HEIGHT;
    const span = 2 ** local;
    const i = (t.width - span) / span;
    // A full level-0 tile is one proof's alone (a random position's): its nodes are not kept (they would outlive the
    // proof for nothing, and cost the garbage collector); upper and right-edge tiles are every proof's.
    return t.level === 0 && hashes.length === TILE_WIDTH
      ? perfectRoot(hashes.slice(i * span, (i + 1) * span))
      : inside(hashes, local, i);
  }
}

/** The node at height `h` above a tile's hashes, the `i`-th at that height (its hashes i·2^h … (i+1)·2^h - 1). */
function inside(hashes: readonly Uint8Array[], h: number, i: number): Uint8Array {
  if (h === 0) return hashes[i]!;
  let memo = insideTile.get(hashes);
  if (!memo) insideTile.set(hashes, (memo = new Map()));
  const key = h * TILE_WIDTH + i;
  let hash = memo.get(key);
  if (!hash) {
    hash = nodeHash(inside(hashes, h - 1, 2 * i), inside(hashes, h - 1, 2 * i + 1));
    memo.set(key, hash);
  }
  return hash;
}
