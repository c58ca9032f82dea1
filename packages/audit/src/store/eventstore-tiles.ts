/**
 * The Merkle tree's tiles (merkle/tile-store.ts) in EventStoreDB/KurrentDB, next to the chain of eventstore-store.ts.
 * Each tile is one binary event (content type application/octet-stream) whose data is the tile's hashes concatenated,
 * as in tlog-tiles:
 *
 * - Full tile N of level L: stream `plexus-audit-<mesh>-tile-<L>-<N>`, event type `Tile`, appended with
 *   expectedRevision NO_STREAM, so it is written once: a second sealer's copy (the same bytes) gets
 *   WrongExpectedVersion, which is success. Reads take the stream's first event (revision 0), so an event appended
 *   after it by someone else changes nothing.
 * - The partial tile of level L (the right edge): stream `plexus-audit-<mesh>-tile-<L>-p`, event type `PartialTile`
 *   with metadata `{ "index": N }`, appended as the tree grows; reads take the last event (backwards, max count 1) and
 *   use it only for tile N. The stream's `$maxCount` is 1, so older ones go at the next scavenge (as JetStream keeps
 *   one message per subject).
 *
 * Every tile stream gets the chain's ACL (delete and metadata writes for `$admins` only; eventstore-streams.ts) before
 * its first event. Tiles are derived data, not evidence: the verifier recomputes the tree from the mesh log and checks
 * the signed roots; a damaged tile makes proofs fail to verify, never pass, and a tile that is absent (never written,
 * or deleted by an admin) is `tileMissing`, which makes a proof fall back to a replay of the log and a sealer replay at
 * start. Anything else (a refused write, an unreachable server) is AUDIT_STORE_FAILED.
 *
 * Reads keep the last `cacheTiles` tiles read (default 64; tile-cache.ts), like the JetStream tile store.
 */
import {
  BACKWARDS,
  binaryEvent,
  END,
  FORWARDS,
  NO_STREAM,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type BinaryEventType,
  type EventStoreDBClient,
  type ReadStreamOptions,
  type StreamMetadata,
} from "@eventstore/db-client";
import { assertMeshId } from "@plexus/core";
import { decodeTile, encodeTile } from "../merkle/tiles.js";
import type { TileStore } from "../merkle/tile-store.js";
import type { Tile } from "../merkle/tree-builder.js";
import { ADMIN_ONLY, esError, protectStream } from "./eventstore-streams.js";
import { TileCache } from "./tile-cache.js";

type FullTileEvent = BinaryEventType<"Tile">;
/** A level's partial tile stream: protected like the chain, and only its last event kept (older ones are scavenged). */
const PARTIAL_METADATA: StreamMetadata = { ...ADMIN_ONLY, maxCount: 1 };
type PartialTileEvent = BinaryEventType<"PartialTile", { index: number }>;

export interface EventStoreTileStreamNames {
  /** The stream of full tile `index` of `level`. */
  full(level: number, index: number): string;
  /** The stream of the partial tile of `level`. */
  partial(level: number): string;
}

export function eventStoreTileStreams(mesh: string): EventStoreTileStreamNames {
  assertMeshId(mesh);
  return {
    full: (level, index) => `plexus-audit-${mesh}-tile-${level}-${index}`,
    partial: (level) => `plexus-audit-${mesh}-tile-${level}-p`,
  };
}

export interface EventStoreTileStoreOptions {
  /** How many tiles reads remember (default 64). */
  cacheTiles?: number;
  /** Throws when the owning audit store was closed (its client may be disposed). */
  assertOpen?: () => void;
}

export class EventStoreTileStore implements TileStore {
  readonly streams: EventStoreTileStreamNames;
  readonly #client: EventStoreDBClient;
  readonly #cache: TileCache;
  readonly #assertOpen: () => void;
  /** Partial tile streams this object has seen protected (one per level). */
  readonly #protected = new Set<string>();

  constructor(client: EventStoreDBClient, mesh: string, options: EventStoreTileStoreOptions = {}) {
    this.streams = eventStoreTileStreams(mesh);
    this.#client = client;
    this.#cache = new TileCache(options.cacheTiles);
    this.#assertOpen = options.assertOpen ?? (() => {});
  }

  async writeTiles(tiles: { full: readonly Tile[]; partial: readonly Tile[] }): Promise<void> {
    this.#assertOpen();
    // Full tiles: all in flight at once; "already there" (the stream exists) is success.
    await Promise.all(
      tiles.full.map(async (t) => {
        const stream = this.streams.full(t.level, t.index);
        try {
          // Checked every time: a full tile stream is written to once (and again only on a retry).
          await protectStream(this.#client, stream, ADMIN_ONLY);
          await this.#client.appendToStream<FullTileEvent>(
            stream,
            binaryEvent<FullTileEvent>({ type: "Tile", data: encodeTile(t.hashes) }),
            { expectedRevision: NO_STREAM },
          );
        } catch (err) {
          if (!(err instanceof WrongExpectedVersionError))
            throw esError(`storing tile ${t.level}/${t.index} failed`, err);
        }
      }),
    );
    await Promise.all(
      tiles.partial.map(async (t) => {
        const stream = this.streams.partial(t.level);
        try {
          await this.#protectPartial(stream);
          await this.#client.appendToStream<PartialTileEvent>(
            stream,
            binaryEvent<PartialTileEvent>({
              type: "PartialTile",
              data: encodeTile(t.hashes),
              metadata: { index: t.index },
            }),
          );
        } catch (err) {
          throw esError(`storing the partial tile ${t.level}/${t.index} failed`, err);
        }
      }),
    );
  }

  async readTile(level: number, index: number, width: number): Promise<Uint8Array[]> {
    this.#assertOpen();
    return this.#cache.read(level, index, width, async () => {
      // The full tile first (most are); the level's partial tile only when it is not there.
      const full = await this.#one(this.streams.full(level, index), {
        direction: FORWARDS,
        fromRevision: START,
        maxCount: 1,
      });
      const hashes = full?.type === "Tile" ? decodeTile(full.data) : undefined;
      if (hashes && hashes.length >= width) return hashes;
      const partial = await this.#one(this.streams.partial(level), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      });
      return partial?.type === "PartialTile" && partialIndex(partial.metadata) === index
        ? decodeTile(partial.data)
        : undefined;
    });
  }

  /** A level's partial tile stream gets the ACL and `$maxCount` 1, checked once per store object. */
  async #protectPartial(stream: string): Promise<void> {
    if (this.#protected.has(stream)) return;
    await protectStream(this.#client, stream, PARTIAL_METADATA);
    this.#protected.add(stream);
  }

  /** The one binary event a read gives; undefined when the stream is absent, deleted or empty, or the event is JSON. */
  async #one(
    stream: string,
    options: ReadStreamOptions,
  ): Promise<{ type: string; data: Uint8Array; metadata: unknown } | undefined> {
    try {
      for await (const resolved of this.#client.readStream<BinaryEventType>(stream, options)) {
        const event = resolved.event;
        if (!event || event.isJson || !(event.data instanceof Uint8Array)) return undefined;
        return { type: event.type, data: event.data, metadata: event.metadata };
      }
      return undefined;
    } catch (err) {
      if (err instanceof StreamNotFoundError || err instanceof StreamDeletedError) return undefined;
      throw esError(`reading ${stream} failed`, err);
    }
  }
}

/** The tile index a partial tile event names in its metadata (`{ "index": N }`), if it names one. */
function partialIndex(metadata: unknown): number | undefined {
  if (typeof metadata !== "object" || metadata === null || metadata instanceof Uint8Array) return undefined;
  const index = (metadata as { index?: unknown }).index;
  return typeof index === "number" && Number.isSafeInteger(index) && index >= 0 ? index : undefined;
}
