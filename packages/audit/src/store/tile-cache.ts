/**
 * The small read cache in front of a tile store (JetStream, EventStoreDB): the last `size` upper and partial tiles read
 * (default 64, about 0.5 MB) and, apart, the last `leafSize` full level-0 tiles (default 8). A full tile never
 * changes, and a partial tile only grows into the full one (a prefix of it), so a remembered tile holding at least the
 * hashes asked for is still right; one with fewer is read again.
 *
 * Why two parts: every proof of a tree needs the same few upper and partial (right-edge) tiles, which stay held (with
 * the nodes computed inside them, merkle/tiles.ts), and each its own level-0 tile, which a proof of a nearby position
 * may read again soon but a proof of a random one will not (keeping many only feeds the garbage collector). A proof
 * then mostly reads its one level-0 tile.
 *
 * `read` is the one way in: it answers from the cache or loads, and turns "not stored" and "stored with fewer hashes
 * than asked" into `tileMissing`, so every backend reports an absent tile the same way.
 */
import { tileMissing } from "../merkle/tile-store.js";
import { TILE_WIDTH } from "../merkle/tiles.js";

export const DEFAULT_CACHE_TILES = 64;
/** Full level-0 tiles kept by default. */
export const DEFAULT_CACHE_LEAF_TILES = 8;

export class TileCache {
  /** Upper and partial tiles read. */
  readonly #tiles = new Map<string, Uint8Array[]>();
  /** Full level-0 tiles read. */
  readonly #leafTiles = new Map<string, Uint8Array[]>();
  readonly #size: number;
  readonly #leafSize: number;

  /** `size`: upper and partial tiles kept; `leafSize`: full level-0 ones (at most `size`). */
  constructor(size = DEFAULT_CACHE_TILES, leafSize = DEFAULT_CACHE_LEAF_TILES) {
    this.#size = size;
    this.#leafSize = Math.min(leafSize, size);
  }

  /** At least `width` hashes of tile `index` of `level`: remembered, or from `load` (undefined: not stored). */
  async read(
    level: number,
    index: number,
    width: number,
    load: () => Promise<Uint8Array[] | undefined>,
  ): Promise<Uint8Array[]> {
    const key = `${level}/${index}`;
    const cached = this.#leafTiles.get(key) ?? this.#tiles.get(key);
    if (cached && cached.length >= width) return cached;
    const hashes = await load();
    if (!hashes || hashes.length < width) throw tileMissing(level, index, width);
    this.#remember(key, level, hashes);
    return hashes;
  }

  /** Keeps a tile read, dropping the least recently read of its part when that part is full. */
  #remember(key: string, level: number, hashes: Uint8Array[]): void {
    if (this.#size <= 0) return;
    const leaf = level === 0 && hashes.length === TILE_WIDTH;
    const cache = leaf ? this.#leafTiles : this.#tiles;
    cache.delete(key);
    cache.set(key, hashes);
    if (cache.size > (leaf ? this.#leafSize : this.#size)) cache.delete(cache.keys().next().value!);
  }
}
