/**
 * The audit store on EventStoreDB (KurrentDB) through @eventstore/db-client. One event per link in the stream
 * `plexus-audit-<mesh>-chain`, where event revision r holds position r+1; an append of position n expects revision n-2
 * (NO_STREAM for the first link), so the server lets exactly one writer win each position. Checkpoints go to
 * `plexus-audit-<mesh>-checkpoints`. The Merkle tree's tiles are `tiles` (eventstore-tiles.ts: streams
 * `plexus-audit-<mesh>-tile-<L>-<N>`, one per full tile, written once, and `plexus-audit-<mesh>-tile-<L>-p`, the
 * partial tile of level L).
 *
 * Deletion: EventStoreDB has no per-stream "deny delete". Every stream gets an ACL that leaves delete and metadata
 * writes to `$admins` (eventstore-streams.ts; effective on a secure server, an insecure one ignores ACLs). A deleted or
 * tombstoned chain reads as missing, which the verifier reports; exported checkpoints keep a witness outside the
 * database.
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type JSONEventType,
  type ReadStreamOptions,
} from "@eventstore/db-client";
import { assertMeshId, ErrorCode, PlexusError } from "@plexus/core";
import { GENESIS } from "../chain.js";
import type { AppendResult, AuditStore, ChainHead, ChainLink, Checkpoint } from "../types.js";
import { checkpointRecord, decodeCheckpoint, decodeLink, linkRecord } from "./codec.js";
import { esError, protectStream } from "./eventstore-streams.js";
import { EventStoreTileStore } from "./eventstore-tiles.js";

export interface EventStoreAuditStoreOptions {
  mesh: string;
  /** A connection string, e.g. `esdb://localhost:2113?tls=false`. The store owns (and closes) this client. */
  url?: string;
  /** Or a client the caller keeps. */
  client?: EventStoreDBClient;
}

type LinkEvent = JSONEventType<"ChainLink", ReturnType<typeof linkRecord>>;
type CheckpointEvent = JSONEventType<"Checkpoint", ReturnType<typeof checkpointRecord>>;

export function eventStoreStreamNames(mesh: string): { chain: string; checkpoints: string } {
  assertMeshId(mesh);
  return { chain: `plexus-audit-${mesh}-chain`, checkpoints: `plexus-audit-${mesh}-checkpoints` };
}

/** Opens the EventStoreDB audit store of a mesh; the streams come into being with their first append. */
export async function openEventStoreAuditStore(options: EventStoreAuditStoreOptions): Promise<EventStoreAuditStore> {
  const client = options.client ?? (options.url ? EventStoreDBClient.connectionString(options.url) : undefined);
  if (!client) throw new PlexusError(ErrorCode.InvalidArgument, "openEventStoreAuditStore needs a url or a client");
  const store = new EventStoreAuditStore(client, options.mesh, options.client === undefined);
  try {
    await store.protect();
    return store;
  } catch (err) {
    await store.close();
    throw esError("cannot open the EventStoreDB audit store", err);
  }
}

export class EventStoreAuditStore implements AuditStore {
  readonly backend = "eventstoredb";
  readonly streams: { chain: string; checkpoints: string };
  /** The Merkle tree's tiles, on the same client. */
  readonly tiles: EventStoreTileStore;
  readonly #client: EventStoreDBClient;
  readonly #ownsClient: boolean;
  #closed = false;

  /** Use `openEventStoreAuditStore`. */
  constructor(client: EventStoreDBClient, mesh: string, ownsClient: boolean) {
    this.streams = eventStoreStreamNames(mesh);
    this.#client = client;
    this.#ownsClient = ownsClient;
    this.tiles = new EventStoreTileStore(client, mesh, { assertOpen: () => this.#open() });
  }

  /** Sets the admin-only delete ACL on both streams where it is not set yet (tile streams get it at their first write). */
  async protect(): Promise<void> {
    for (const stream of [this.streams.chain, this.streams.checkpoints]) await protectStream(this.#client, stream);
  }

  async head(): Promise<ChainHead> {
    for await (const link of this.#readLinks({ direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
      return { size: link.position, hash: link.link.hash };
    }
    return { size: 0, hash: GENESIS };
  }

  async append(link: ChainLink, expectedSize: number): Promise<AppendResult> {
    this.#open();
    if (link.n !== expectedSize + 1) {
      throw new PlexusError(ErrorCode.InvalidArgument, `link ${link.n} cannot follow a chain of ${expectedSize} links`);
    }
    const expectedRevision = expectedSize === 0 ? NO_STREAM : BigInt(expectedSize - 1);
    try {
      const result = await this.#client.appendToStream<LinkEvent>(
        this.streams.chain,
        jsonEvent<LinkEvent>({ type: "ChainLink", data: linkRecord(link) }),
        {
          expectedRevision,
        },
      );
      return { ok: true, size: Number(result.nextExpectedRevision) + 1 };
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) {
        const actual = err.actualVersion;
        return {
          ok: false,
          conflict: true,
          size: typeof actual === "bigint" ? Number(actual) + 1 : (await this.head()).size,
        };
      }
      throw esError(`append of link ${link.n} failed`, err);
    }
  }

  async *links(from: number, to?: number): AsyncIterable<ChainLink> {
    const start = Math.max(1, from);
    if (to !== undefined && to < start) return;
    const maxCount = to === undefined ? undefined : to - start + 1;
    for await (const { link } of this.#readLinks({
      direction: FORWARDS,
      fromRevision: BigInt(start - 1),
      ...(maxCount ? { maxCount } : {}),
    })) {
      yield link;
    }
  }

  async link(n: number): Promise<ChainLink | undefined> {
    if (!Number.isSafeInteger(n) || n < 1) return undefined;
    for await (const { link, position } of this.#readLinks({
      direction: FORWARDS,
      fromRevision: BigInt(n - 1),
      maxCount: 1,
    })) {
      return position === n ? link : undefined;
    }
    return undefined;
  }

  async appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    this.#open();
    try {
      await this.#client.appendToStream<CheckpointEvent>(
        this.streams.checkpoints,
        jsonEvent<CheckpointEvent>({ type: "Checkpoint", data: checkpointRecord(checkpoint) }),
      );
    } catch (err) {
      throw esError(`storing the checkpoint at ${checkpoint.size} failed`, err);
    }
  }

  async *checkpoints(): AsyncIterable<Checkpoint> {
    this.#open();
    try {
      for await (const resolved of this.#client.readStream<CheckpointEvent>(this.streams.checkpoints, {
        direction: FORWARDS,
      })) {
        if (resolved.event) yield decodeCheckpoint(resolved.event.data);
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return;
      throw esError("reading checkpoints failed", err);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#client.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Chain events with their position (revision + 1); a missing stream is an empty chain. */
  async *#readLinks(options: ReadStreamOptions): AsyncGenerator<{ link: ChainLink; position: number }> {
    this.#open();
    try {
      for await (const resolved of this.#client.readStream<LinkEvent>(this.streams.chain, options)) {
        if (!resolved.event) continue;
        const position = Number(resolved.event.revision) + 1;
        yield { link: decodeLink(resolved.event.data, position), position };
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return;
      throw esError("reading the chain failed", err);
    }
  }

  #open(): void {
    if (this.#closed) throw new PlexusError(ErrorCode.Closed, "the audit store was closed");
  }
}
