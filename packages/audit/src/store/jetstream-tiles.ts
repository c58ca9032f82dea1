/**
 * The Merkle tree's tiles in JetStream: stream `PLEXUS_<MESH>_AUDIT_TILES`, subjects under
 * `plexus-audit.<mesh>.tile.>`, one tile per message, its body the tile's hashes concatenated (as in tlog-tiles).
 *
 * - Full tile N of level L: subject `plexus-audit.<mesh>.tile.<L>.<N>`, published with expected-last-subject-sequence
 *   0, so it is written once; a second sealer's copy (the same bytes) is refused and that is fine.
 * - The partial tile of level L (the right edge): subject `plexus-audit.<mesh>.tile.<L>.p`, header `Plexus-Tile` = N,
 *   replaced as the tree grows (the stream keeps one message per subject).
 *
 * Retention: limits, no age or size limit, one message per subject, file storage, deny_delete and deny_purge (full
 * tiles are never removed; only a level's partial tile is replaced, by the per-subject limit). The tiles are derived
 * data, not evidence: the verifier recomputes the tree from the mesh log and checks the signed roots; a damaged tile
 * makes proofs fail to verify, never pass, and a tile left unwritten makes a proof fall back to a replay of the log.
 *
 * Reads keep the last `cacheTiles` upper and partial tiles read (default 64, about 0.5 MB) and the last 8 full level-0
 * ones (tile-cache.ts): a full tile never changes, and a partial tile only grows, so a remembered one with at least the
 * hashes asked for is still right. A proof then mostly reads its one level-0 tile.
 */
import {
  jetstream,
  JetStreamApiCodes,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { historyStreamSettings, replicasError, replicasFor } from "@plexus/bus/internal";
import { assertMeshId, ErrorCode, meshSubjects, PlexusError } from "@plexus/core";
import { decodeTile, encodeTile } from "../merkle/tiles.js";
import type { TileStore } from "../merkle/tile-store.js";
import type { Tile } from "../merkle/tree-builder.js";
import { TileCache } from "./tile-cache.js";

const TILE_HEADER = "Plexus-Tile";

export function tileStreamNames(mesh: string): { stream: string; prefix: string } {
  assertMeshId(mesh);
  return { stream: `${meshSubjects(mesh).stream}_AUDIT_TILES`, prefix: `plexus-audit.${mesh}.tile` };
}

export function tileStreamConfig(
  mesh: string,
  replicas = 1,
): Partial<StreamConfig> & { name: string; subjects: string[] } {
  const names = tileStreamNames(mesh);
  return {
    ...historyStreamSettings(replicas),
    name: names.stream,
    subjects: [`${names.prefix}.>`],
    max_msgs_per_subject: 1,
    description: `Plexus mesh "${mesh}": Merkle tree tiles of the audit log (derived, recomputable from the log)`,
  };
}

/**
 * Creates the tile stream when missing, with `replicas` or else the mesh's settings (with `update`, brings an existing
 * one to the current settings and that replica count).
 */
export async function ensureTileStream(
  nc: NatsConnection,
  mesh: string,
  options: { replicas?: number; update?: boolean } = {},
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const replicas = await replicasFor(jsm, mesh, options.replicas);
  const config = tileStreamConfig(mesh, replicas);
  let exists = true;
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if ((err as { name?: string }).name !== "StreamNotFoundError")
      throw new PlexusError(ErrorCode.AuditStoreFailed, `cannot open ${config.name}`, { cause: err });
    exists = false;
  }
  if (exists && !options.update) return;
  await (exists ? jsm.streams.update(config.name, config) : jsm.streams.add(config)).catch((err: unknown) => {
    throw replicasError(err, config.name, replicas);
  });
}

export class JetStreamTileStore implements TileStore {
  readonly #names: { stream: string; prefix: string };
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #timeout: number;
  readonly #cache: TileCache;

  /** `cacheTiles`: upper and partial tiles kept (default 64); `cacheLeafTiles`: full level-0 ones (default 8, at most `cacheTiles`). */
  constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    mesh: string,
    options: { timeoutMs?: number; cacheTiles?: number; cacheLeafTiles?: number } = {},
  ) {
    this.#names = tileStreamNames(mesh);
    this.#js = jetstream(nc);
    this.#jsm = jsm;
    this.#timeout = options.timeoutMs ?? 10_000;
    this.#cache = new TileCache(options.cacheTiles, options.cacheLeafTiles);
  }

  async writeTiles(tiles: { full: readonly Tile[]; partial: readonly Tile[] }): Promise<void> {
    // Full tiles: all in flight at once; "already there" (wrong last subject sequence) is success.
    await Promise.all(
      tiles.full.map(async (t) => {
        try {
          await this.#js.publish(`${this.#names.prefix}.${t.level}.${t.index}`, encodeTile(t.hashes), {
            expect: { lastSubjectSequence: 0 },
            timeout: this.#timeout,
          });
        } catch (err) {
          if ((err as { code?: number }).code !== JetStreamApiCodes.StreamWrongLastSequence)
            throw storeError(`storing tile ${t.level}/${t.index} failed`, err);
        }
      }),
    );
    await Promise.all(
      tiles.partial.map(async (t) => {
        const h = natsHeaders();
        h.set(TILE_HEADER, String(t.index));
        try {
          await this.#js.publish(`${this.#names.prefix}.${t.level}.p`, encodeTile(t.hashes), {
            headers: h,
            timeout: this.#timeout,
          });
        } catch (err) {
          throw storeError(`storing the partial tile ${t.level}/${t.index} failed`, err);
        }
      }),
    );
  }

  readTile(level: number, index: number, width: number): Promise<Uint8Array[]> {
    return this.#cache.read(level, index, width, async () => {
      // The full tile first (most are); the level's partial tile only when it is not there.
      const full = await this.#last(`${this.#names.prefix}.${level}.${index}`);
      const hashes = full && decodeTile(full.data);
      if (hashes && hashes.length >= width) return hashes;
      const partial = await this.#last(`${this.#names.prefix}.${level}.p`);
      return partial && partial.header?.get(TILE_HEADER) === String(index) ? decodeTile(partial.data) : undefined;
    });
  }

  async #last(subject: string) {
    try {
      return (await this.#jsm.streams.getMessage(this.#names.stream, { last_by_subj: subject })) ?? undefined;
    } catch (err) {
      throw storeError(`reading ${subject} failed`, err);
    }
  }
}

function storeError(message: string, cause: unknown): PlexusError {
  return new PlexusError(ErrorCode.AuditStoreFailed, `${message}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
  });
}
