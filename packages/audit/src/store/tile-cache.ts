/**
 * The small read cache in front of a tile store (JetStream, EventStoreDB): the last `size` tiles read (default 64,
 * about 0.5 MB). A full tile never changes, and a partial tile only grows into the full one (a prefix of it), so a
 * remembered tile holding at least the hashes asked for is still right; one with fewer is read again. A proof then
 * mostly reads its one level-0 tile.
 *
 * `read` is the one way in: it answers from the cache or loads, and turns "not stored" and "stored with fewer hashes
 * than asked" into `tileMissing`, so every backend reports an absent tile the same way.
 */
import { tileMissing } from "../merkle/tile-store.js";

export const DEFAULT_CACHE_TILES = 64;

export class TileCache {
  readonly #tiles = new Map<string, Uint8Array[]>();
  readonly #size: number;

  constructor(size = DEFAULT_CACHE_TILES) {
    this.#size = size;
  }

  /** At least `width` hashes of tile `index` of `level`: remembered, or from `load` (undefined: not stored). */
  async read(level: number, index: number, width: number, load: () => Promise<Uint8Array[] | undefined>): Promise<Uint8Array[]> {
    const key = `${level}/${index}`;
    const cached = this.#tiles.get(key);
    if (cached && cached.length >= width) return cached;
    const hashes = await load();
    if (!hashes || hashes.length < width) throw tileMissing(level, index, width);
    this.#remember(key, hashes);
    return hashes;
  }

  #remember(key: string, hashes: Uint8Array[]): void {
    if (this.#size <= 0) return;
    this.#tiles.delete(key);
    this.#tiles.set(key, hashes);
    if (this.#tiles.size > this.#size) this.#tiles.delete(this.#tiles.keys().next().value!);
  }
}
