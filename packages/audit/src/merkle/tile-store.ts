/**
 * Where a backend keeps the Merkle tree's tiles (tiles.ts). Tiles are derived data: anyone can recompute them from
 * the mesh log, and a wrong tile only makes a proof fail to verify against the signed root, never pass. They are kept
 * so that a proof needs a few reads instead of a replay of the log.
 *
 * Full tiles are written once and never change. The right edge is one partial tile per level, replaced as the tree
 * grows; it is written before the checkpoint whose size it describes, so proofs against the newest checkpoint find
 * it (or, when the tile has filled up since, the full tile: a partial tile is a prefix of the full one).
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import type { TileReader } from "./prove.js";
import type { Tile } from "./tree-builder.js";

export interface TileStore extends TileReader {
  /** Stores full tiles (write-once: one already there is left as it is) then the partial ones, in order. */
  writeTiles(tiles: { full: readonly Tile[]; partial: readonly Tile[] }): Promise<void>;
}

/** A tile the store does not hold (or holds with fewer hashes than asked): AUDIT_STORE_FAILED, reason tile_missing. */
export function tileMissing(level: number, index: number, width: number): PlexusError {
  return new PlexusError(
    ErrorCode.AuditStoreFailed,
    `the audit tree tile ${level}/${index} (${width} hashes) is not stored`,
    {
      details: { reason: "tile_missing", level, index, width },
    },
  );
}

export function isTileMissing(err: unknown): boolean {
  return err instanceof PlexusError && err.details?.["reason"] === "tile_missing";
}
