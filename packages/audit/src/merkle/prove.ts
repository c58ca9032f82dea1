/**
 * Proofs from stored tiles: works out which complete subtrees a proof needs (a dry run of the RFC 9162 recursion),
 * reads the tiles holding them (all at once), and builds the proof and the root from those. A proof for a tree of a
 * million leaves reads about 4 tiles and hashes a few hundred nodes, no matter the position.
 */
import { rootAt, consistencyPath, inclusionPath, nodesNeeded, type NodeSource } from "./tree.js";
import { TileNodes, tilesFor } from "./tiles.js";

/** Where tiles come from: at least `width` hashes of tile `index` of `level` (throws when it cannot). */
export interface TileReader {
  readTile(level: number, index: number, width: number): Promise<Uint8Array[]>;
}

async function loadNodes(reader: TileReader, build: (s: NodeSource) => unknown): Promise<TileNodes> {
  const tiles = tilesFor(nodesNeeded(build));
  const nodes = new TileNodes();
  const read = await Promise.all(tiles.map((t) => reader.readTile(t.level, t.index, t.width)));
  tiles.forEach((t, i) => nodes.set(t.level, t.index, read[i]!));
  return nodes;
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves, and that tree's root. */
export async function proveInclusionFromTiles(
  reader: TileReader,
  index: number,
  size: number,
): Promise<{ path: Uint8Array[]; root: Uint8Array }> {
  const build = (s: NodeSource) => ({ path: inclusionPath(s, index, size), root: rootAt(s, size) });
  return build(await loadNodes(reader, build));
}

/** The consistency proof from the tree of `m` leaves to the tree of `n`, and both roots. */
export async function proveConsistencyFromTiles(
  reader: TileReader,
  m: number,
  n: number,
): Promise<{ proof: Uint8Array[]; firstRoot: Uint8Array; root: Uint8Array }> {
  const build = (s: NodeSource) => ({ proof: consistencyPath(s, m, n), firstRoot: rootAt(s, m), root: rootAt(s, n) });
  return build(await loadNodes(reader, build));
}
