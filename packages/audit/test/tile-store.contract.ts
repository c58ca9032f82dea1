/**
 * The tile part of the AuditStore contract (called by audit-store.contract.ts, so it runs wherever the contract does):
 * what every store with `tiles` (merkle/tile-store.ts) must do. Full tiles are write-once; a level's partial tile is
 * replaced and read back only for its own index; a tile not stored, or stored with fewer hashes than asked, is
 * `tile_missing`; proofs built from the stored tiles, written as a sealer writes them, equal the whole tree's; a
 * reopened store reads the same tiles. A store without `tiles` skips this part, saying so.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it, type TestContext } from "vitest";
import { leafHash, leafInput } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { proveConsistencyFromTiles, proveInclusionFromTiles } from "../src/merkle/prove.js";
import type { TileStore } from "../src/merkle/tile-store.js";
import { edgeTiles, TILE_WIDTH } from "../src/merkle/tiles.js";
import { type Tile, TreeBuilder } from "../src/merkle/tree-builder.js";
import { consistencyPath, inclusionPath, rootAt } from "../src/merkle/tree.js";
import type { ContractSubject } from "./audit-store.contract.js";

/** Past the first full level-1 tile (65,536 leaves), so the tree has two levels of full tiles and two partial ones. */
const N = TILE_WIDTH * TILE_WIDTH + 300;
/** The sizes at which the tree's tiles are written, as a sealer's checkpoints would (tile and level edges included). */
const CHECKPOINTS = [1, 255, 256, 257, 1000, 65_535, 65_536, N];

const hex = (h: Uint8Array) => Buffer.from(h).toString("hex");
const hashes = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => new Uint8Array(createHash("sha256").update(`${label}/${i}`).digest()));

/** The leaves and the whole tree, made once (a few hundred ms) and only when a store with tiles asks. */
let whole: { leaves: Uint8Array[]; tree: MemoryTree } | undefined;
function wholeTree(): { leaves: Uint8Array[]; tree: MemoryTree } {
  if (!whole) {
    const leaves = Array.from({ length: N }, (_, i) =>
      leafHash(leafInput("plexus.m.acp.inbox.a.b", Buffer.from(`{"n":${i + 1}}`))),
    );
    whole = { leaves, tree: new MemoryTree(leaves) };
  }
  return whole;
}

/** Feeds the leaves to a TreeBuilder and stores a snapshot's tiles at each checkpoint size; the full tiles written. */
async function sealTiles(tiles: TileStore): Promise<Tile[]> {
  const { leaves } = wholeTree();
  const builder = new TreeBuilder();
  const written: Tile[] = [];
  for (const size of CHECKPOINTS) {
    while (builder.size < size) builder.push(leaves[builder.size]!);
    const snapshot = builder.snapshot();
    await tiles.writeTiles(snapshot);
    written.push(...snapshot.full);
  }
  return written;
}

async function missing(read: Promise<unknown>, level: number, index: number, width: number): Promise<void> {
  await expect(read).rejects.toMatchObject({
    name: "PlexusError",
    code: "AUDIT_STORE_FAILED",
    details: { reason: "tile_missing", level, index, width },
  });
}

export function tileStoreContract(setup: () => Promise<ContractSubject>): void {
  describe("tiles", () => {
    const withTiles = (fn: (tiles: TileStore, s: ContractSubject) => Promise<void>) => async (ctx: TestContext) => {
      const subject = await setup();
      try {
        if (!subject.store.tiles) ctx.skip(`the ${subject.store.backend} store keeps no tiles`);
        await fn(subject.store.tiles!, subject);
      } finally {
        await subject.cleanup();
      }
    };
    /** Runs `fn` with the tiles of a second store object over the same backing store, then closes it. */
    const reopened = async (s: ContractSubject, fn: (tiles: TileStore) => Promise<void>) => {
      const again = await s.reopen();
      try {
        expect(again.tiles, "a reopened store has tiles too").toBeDefined();
        await fn(again.tiles!);
      } finally {
        await again.close();
      }
    };

    it(
      "a full tile is written once: a second write succeeds and leaves the first; fewer hashes than asked is missing",
      withTiles(async (tiles, s) => {
        const first = hashes("first", TILE_WIDTH);
        const second = hashes("second", TILE_WIDTH);
        await tiles.writeTiles({ full: [{ level: 0, index: 2, hashes: first }], partial: [] });
        expect((await tiles.readTile(0, 2, TILE_WIDTH)).map(hex)).toEqual(first.map(hex));
        await tiles.writeTiles({ full: [{ level: 0, index: 2, hashes: second }], partial: [] });
        await reopened(s, async (again) => {
          expect((await again.readTile(0, 2, TILE_WIDTH)).map(hex)).toEqual(first.map(hex));
          expect((await again.readTile(0, 2, 3)).slice(0, 3).map(hex)).toEqual(first.slice(0, 3).map(hex));
        });
        await missing(tiles.readTile(0, 1, 1), 0, 1, 1);
        await missing(tiles.readTile(1, 2, 1), 1, 2, 1);
        // A stored tile with fewer hashes than asked is missing too (a proof then replays the log, never guesses).
        const short = hashes("short", 10);
        await tiles.writeTiles({ full: [{ level: 0, index: 5, hashes: short }], partial: [] });
        expect((await tiles.readTile(0, 5, 10)).map(hex)).toEqual(short.map(hex));
        await missing(tiles.readTile(0, 5, 11), 0, 5, 11);
      }),
    );

    it(
      "a level's partial tile is replaced, and read back only for its own index and width",
      withTiles(async (tiles, s) => {
        const edge = hashes("edge", 40);
        await tiles.writeTiles({
          full: [],
          partial: [
            { level: 0, index: 3, hashes: edge.slice(0, 10) },
            { level: 1, index: 0, hashes: edge.slice(0, 7) },
          ],
        });
        expect((await tiles.readTile(0, 3, 10)).map(hex)).toEqual(edge.slice(0, 10).map(hex));
        expect((await tiles.readTile(0, 3, 4)).slice(0, 4).map(hex)).toEqual(edge.slice(0, 4).map(hex));
        expect((await tiles.readTile(1, 0, 7)).map(hex)).toEqual(edge.slice(0, 7).map(hex));
        // Fewer hashes than asked, another index, another level: missing.
        await missing(tiles.readTile(0, 3, 11), 0, 3, 11);
        await missing(tiles.readTile(0, 2, 1), 0, 2, 1);
        await missing(tiles.readTile(0, 4, 1), 0, 4, 1);
        await missing(tiles.readTile(1, 1, 1), 1, 1, 1);
        await missing(tiles.readTile(2, 0, 1), 2, 0, 1);

        // The tree grows: the same tile wider, then the next tile; level 1 is left as it was.
        await tiles.writeTiles({ full: [], partial: [{ level: 0, index: 3, hashes: edge.slice(0, 30) }] });
        await reopened(s, async (again) => {
          expect((await again.readTile(0, 3, 30)).map(hex)).toEqual(edge.slice(0, 30).map(hex));
          await missing(again.readTile(0, 3, 31), 0, 3, 31);
        });
        await tiles.writeTiles({ full: [], partial: [{ level: 0, index: 4, hashes: edge.slice(30, 35) }] });
        await reopened(s, async (again) => {
          expect((await again.readTile(0, 4, 5)).map(hex)).toEqual(edge.slice(30, 35).map(hex));
          await missing(again.readTile(0, 3, 1), 0, 3, 1);
          expect((await again.readTile(1, 0, 7)).map(hex)).toEqual(edge.slice(0, 7).map(hex));
        });
      }),
    );

    it(
      "proofs from the tiles a sealer stores equal the whole tree's, at any size, and a reopened store reads the same tiles",
      withTiles(async (tiles, s) => {
        const { tree } = wholeTree();
        const full = await sealTiles(tiles);
        expect(full.map((t) => `${t.level}/${t.index}`)).toContain("1/0");
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.constant(N), fc.constantFrom(...CHECKPOINTS), fc.integer({ min: 1, max: N })),
            fc.nat(),
            fc.nat(),
            async (size, i, j) => {
              const index = i % size;
              const inc = await proveInclusionFromTiles(tiles, index, size);
              expect(inc.path.map(hex)).toEqual(inclusionPath(tree, index, size).map(hex));
              expect(hex(inc.root)).toBe(hex(rootAt(tree, size)));
              const m = 1 + (j % size);
              const con = await proveConsistencyFromTiles(tiles, m, size);
              expect(con.proof.map(hex)).toEqual(consistencyPath(tree, m, size).map(hex));
              expect(hex(con.firstRoot)).toBe(hex(rootAt(tree, m)));
            },
          ),
          { numRuns: 40 },
        );

        await reopened(s, async (again) => {
          for (const t of full)
            expect((await again.readTile(t.level, t.index, TILE_WIDTH)).map(hex), `tile ${t.level}/${t.index}`).toEqual(
              t.hashes.map(hex),
            );
          for (const e of edgeTiles(N)) {
            const read = await again.readTile(e.level, e.index, e.width);
            expect(read.slice(0, e.width).map(hex), `edge tile ${e.level}/${e.index}`).toEqual(
              nodesOf(tree, e.level, e.index, e.width),
            );
          }
          const index = N - 1;
          expect((await proveInclusionFromTiles(again, index, N)).path.map(hex)).toEqual(
            inclusionPath(tree, index, N).map(hex),
          );
        });
      }),
      120_000,
    );
  });
}

/** The hashes tile `index` of `level` holds in the whole tree (its first `width`). */
function nodesOf(tree: MemoryTree, level: number, index: number, width: number): string[] {
  return Array.from({ length: width }, (_, k) => hex(tree.node(8 * level, TILE_WIDTH * index + k)));
}
