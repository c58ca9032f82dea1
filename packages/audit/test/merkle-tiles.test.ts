/**
 * The tiled tree: the sealer's TreeBuilder (right edge only) gives the same roots and the same full tiles as a tree
 * kept whole; proofs built from its tiles (full + the edge as partial tiles) equal those of the whole tree; a builder
 * resumed from the edge tiles goes on to the same roots.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leafHash, leafInput } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { proveConsistencyFromTiles, proveInclusionFromTiles, type TileReader } from "../src/merkle/prove.js";
import { decodeTile, edgeTiles, encodeTile, TILE_WIDTH } from "../src/merkle/tiles.js";
import { type Tile, TreeBuilder } from "../src/merkle/tree-builder.js";
import { consistencyPath, inclusionPath, rootAt } from "../src/merkle/tree.js";
import { verifyInclusion } from "../src/merkle/verify.js";

const N = 70_000; // past one full level-1 tile (65,536 leaves)
const LEAVES = Array.from({ length: N }, (_, i) => leafHash(leafInput("plexus.m.x", Buffer.from(String(i)))));
const WHOLE = new MemoryTree(LEAVES);
const hex = (h: Uint8Array) => Buffer.from(h).toString("hex");

/** A builder fed `size` leaves, with its full tiles and a snapshot's edge. */
function build(size: number): { builder: TreeBuilder; full: Map<string, Uint8Array[]>; partial: Tile[] } {
  const builder = new TreeBuilder();
  const full = new Map<string, Uint8Array[]>();
  for (let i = 0; i < size; i++) builder.push(LEAVES[i]!);
  const snap = builder.snapshot();
  for (const t of snap.full) full.set(`${t.level}/${t.index}`, t.hashes);
  return { builder, full, partial: snap.partial };
}

function reader(full: Map<string, Uint8Array[]>, partial: Tile[]): TileReader & { reads: number } {
  return {
    reads: 0,
    async readTile(level, index, width) {
      this.reads++;
      const hashes =
        full.get(`${level}/${index}`) ?? partial.find((t) => t.level === level && t.index === index)?.hashes;
      if (!hashes || hashes.length < width) throw new Error(`no tile ${level}/${index}`);
      return hashes;
    },
  };
}

const BIG = build(N);

describe("TreeBuilder and tiles", () => {
  it("gives the whole tree's root at every size on the way", () => {
    const b = new TreeBuilder();
    for (let i = 0; i < 3000; i++) {
      b.push(LEAVES[i]!);
      if (i < 600 || i % 97 === 0) expect(hex(b.root()), `size ${i + 1}`).toBe(hex(rootAt(WHOLE, i + 1)));
    }
    expect(hex(BIG.builder.root())).toBe(hex(rootAt(WHOLE, N)));
  });

  it("hands out every full tile once, equal to the whole tree's nodes at its height", () => {
    expect(BIG.full.size).toBe(Math.floor(N / 256) + 1); // 273 level-0 tiles, 1 level-1 tile
    const l0 = BIG.full.get("0/5")!;
    expect(l0.map(hex)).toEqual(LEAVES.slice(5 * 256, 6 * 256).map(hex));
    const l1 = BIG.full.get("1/0")!;
    expect(l1).toHaveLength(TILE_WIDTH);
    expect(hex(l1[77]!)).toBe(hex(WHOLE.node(8, 77)));
    expect(BIG.partial.map((t) => [t.level, t.index, t.hashes.length])).toEqual(
      edgeTiles(N).map((t) => [t.level, t.index, t.width]),
    );
    expect(decodeTile(encodeTile(l0))!.map(hex)).toEqual(l0.map(hex));
    expect(decodeTile(new Uint8Array(33))).toBeUndefined();
  });

  it("builds the same proofs from tiles as from the whole tree, reading a handful of tiles", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(N), fc.integer({ min: 1, max: 5000 }), fc.constantFrom(65_535, 65_536, 65_537)),
        fc.nat(),
        fc.nat(),
        async (size, i, j) => {
          const tiles = size === N ? BIG : build(size);
          const r = reader(tiles.full, tiles.partial);
          const index = i % size;
          const inc = await proveInclusionFromTiles(r, index, size);
          expect(inc.path.map(hex)).toEqual(inclusionPath(WHOLE, index, size).map(hex));
          expect(hex(inc.root)).toBe(hex(rootAt(WHOLE, size)));
          expect(verifyInclusion(LEAVES[index]!, index, size, inc.path, inc.root)).toBe(true);
          expect(r.reads).toBeLessThanOrEqual(8);
          const m = 1 + (j % size);
          const con = await proveConsistencyFromTiles(r, m, size);
          expect(con.proof.map(hex)).toEqual(consistencyPath(WHOLE, m, size).map(hex));
          expect(hex(con.firstRoot)).toBe(hex(rootAt(WHOLE, m)));
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it("fails to prove when a tile is missing rather than inventing one", async () => {
    const r = reader(new Map(), BIG.partial);
    await expect(proveInclusionFromTiles(r, 5, N)).rejects.toThrow(/no tile 0\/0/);
  });

  it("resumes from the edge tiles and reaches the same roots", () => {
    for (const size of [0, 1, 255, 256, 257, 65_535, 65_536, 65_537]) {
      const { partial } = build(size);
      const b = TreeBuilder.resume(size, partial);
      for (let i = size; i < Math.min(size + 300, N); i++) b.push(LEAVES[i]!);
      const end = Math.min(size + 300, N);
      expect(hex(b.root()), `resumed at ${size}`).toBe(hex(rootAt(WHOLE, end)));
    }
    expect(() => TreeBuilder.resume(300, [])).toThrow(/missing/);
  });
});
