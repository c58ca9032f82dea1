/**
 * Verification, export and query against the live stores: the mesh log (JetStream) and an AuditStore. The order of
 * reading keeps a sealer that appends meanwhile from looking like a fault: the checkpoints first (each covers at most
 * the chain as it was then), then the links (their read fixes where the chain ends), then the events (the log's end is
 * fixed after that, so it holds the event of every link read).
 */
import type { Writable } from "node:stream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, PlexusError } from "@plexus/core";
import { GENESIS } from "../chain.js";
import { exportAudit, type ExportSummary } from "../export/exporter.js";
import { positionAt, queryAudit, type AuditMatch, type QueryOptions } from "../query/query.js";
import { readMeshLog } from "../store/mesh-log.js";
import type { AuditStore, Checkpoint } from "../types.js";
import { JetStreamAuditStore } from "../store/jetstream-store.js";
import type { ChainLink } from "../types.js";
import type { Source } from "./cursor.js";
import { checkpointWalk, intactChainSize, largestCheckpoint } from "./fast-path.js";
import { chainBatches, meshLogBatches } from "./stream-batches.js";
import { verifyChain, type VerifyReport } from "./verifier.js";

export interface LiveSource {
  nc: NatsConnection;
  mesh: string;
  store: AuditStore;
}

export interface VerifyStoreOptions extends LiveSource {
  /** Compare every stored link even where signed checkpoints cover the positions. */
  full?: boolean;
  from?: number;
  to?: number;
  trustedSigners?: string[];
  /** Compare checkpoints' Merkle roots with the tree recomputed from the log (default true; see VerifyOptions). */
  checkRoots?: boolean;
  onProgress?(verified: number): void;
}

async function checkpointsOf(store: AuditStore): Promise<Checkpoint[]> {
  const checkpoints: Checkpoint[] = [];
  for await (const cp of store.checkpoints()) checkpoints.push(cp);
  return checkpoints;
}

/** Starts reading `source` now (so it fixes its end now); yields everything it gives, from the first item on. */
async function started<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  return {
    [Symbol.asyncIterator]: () => {
      let pending: IteratorResult<T> | undefined = first;
      return {
        next: () => {
          const r = pending;
          pending = undefined;
          return r ? Promise.resolve(r) : it.next();
        },
        return: async () => (await it.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}

/** The stored links from `from`, their end fixed now (before the log's): batched on JetStream. */
async function linksFrom(o: LiveSource, from: number, to: number | undefined): Promise<Source<ChainLink>> {
  if (!(o.store instanceof JetStreamAuditStore)) return started(o.store.links(from, to));
  const links = chainBatches(o.nc, o.mesh, from, to);
  await links.ready;
  return links;
}

async function hashBefore(store: AuditStore, position: number): Promise<string> {
  if (position <= 1) return GENESIS;
  const link = await store.link(position - 1);
  if (!link) throw new PlexusError(ErrorCode.InvalidArgument, `position ${position - 1} is not in the audit chain`);
  return link.hash;
}

/**
 * Verifies the live chain against the live mesh log (positions from…to, default the whole chain). A whole-chain run
 * on JetStream first tries the checkpoint fast path (fast-path.ts); it returns only a clean result, and any doubt
 * falls through to the full comparison of every stored link. `full: true` skips the fast path.
 */
export async function verifyStore(o: VerifyStoreOptions): Promise<VerifyReport> {
  const checkpoints = await checkpointsOf(o.store);
  if (!o.full && o.from === undefined && o.to === undefined) {
    const fast = await verifyByCheckpoints(o, checkpoints);
    if (fast?.ok) return fast;
  }
  const from = o.from ?? 1;
  const prevHash = from > 1 ? await hashBefore(o.store, from) : undefined;
  const links = await linksFrom(o, from, o.to);
  return verifyChain({
    events: meshLogBatches(o.nc, o.mesh, from, o.to),
    links,
    checkpoints,
    from,
    ...(o.to !== undefined ? { to: o.to } : {}),
    ...(prevHash !== undefined ? { prevHash } : {}),
    ...(o.trustedSigners ? { trustedSigners: o.trustedSigners } : {}),
    ...(o.checkRoots !== undefined ? { checkRoots: o.checkRoots } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}

async function verifyByCheckpoints(
  o: VerifyStoreOptions,
  checkpoints: Checkpoint[],
): Promise<VerifyReport | undefined> {
  const size = await intactChainSize(o.nc, o.mesh, o.store, checkpoints);
  const covered = largestCheckpoint(checkpoints);
  if (size === undefined || covered === 0 || covered > size) return undefined;
  const { events, links } = checkpointWalk(o.nc, o.mesh, covered, size);
  return verifyChain({
    events,
    links,
    checkpoints,
    to: size,
    recomputedThrough: covered,
    ...(o.trustedSigners ? { trustedSigners: o.trustedSigners } : {}),
    ...(o.checkRoots !== undefined ? { checkRoots: o.checkRoots } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}

export interface ExportStoreOptions extends LiveSource {
  out: Writable;
  since?: number;
  until?: number;
  onProgress?(written: number): void;
}

/** Exports the sealed part of the mesh log (or the part stored between since and until) with its checkpoints. */
export async function exportStore(o: ExportStoreOptions): Promise<ExportSummary> {
  const checkpoints = await checkpointsOf(o.store);
  const start = o.since !== undefined ? await positionAt(o.store, o.since) : 1;
  const prevHash = await hashBefore(o.store, start);
  const links = await linksFrom(o, start, undefined);
  return exportAudit({
    events: meshLogBatches(o.nc, o.mesh, start),
    links,
    checkpoints,
    out: o.out,
    mesh: o.mesh,
    prevHash,
    from: start,
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}

/** Queries the mesh log as it is now (sealed and not yet sealed events), with link hashes where sealed. */
export async function queryStore(
  o: LiveSource & Omit<QueryOptions, "events" | "links">,
): Promise<AsyncGenerator<AuditMatch>> {
  const start = o.since !== undefined ? await positionAt(o.store, o.since) : 1;
  const { nc, mesh, store, ...filters } = o;
  return queryAudit({ ...filters, events: readMeshLog(nc, mesh, start), links: store.links(start) });
}
