/**
 * The fast path of live verification. Signed checkpoints already commit to every position they cover, so for those
 * positions the walk compares the chain recomputed from the raw log with the checkpoints alone, and reads the stored
 * links only after the last checkpoint. That halves what is read from the server and hashed (the NATS client's
 * parsing and the hashing are the cost of a live verification). The stored links it skips are guarded by the chain stream's own state: a stream that
 * starts at 1, has no deleted message and is no longer than the log cannot hold a changed, missing or extra link
 * (JetStream never rewrites a stored message), unless a privileged client deleted the whole stream and wrote it again:
 * so the stream must also have been created before every checkpoint was signed (a recreated chain stream is younger
 * than the checkpoints that vouch for the old one; server clock against the sealer's, and a skewed clock only costs
 * the fast path). Anything else, or any fault at all, and the caller runs the full comparison, which names the first
 * bad position; so the fast path only ever shortens a clean run.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { auditStreamNames, JetStreamAuditStore } from "../store/jetstream-store.js";
import { meshLogEnd } from "../store/mesh-log.js";
import type { AuditStore, ChainLink, Checkpoint, LogEvent } from "../types.js";
import type { BatchedSource } from "./cursor.js";
import { chainBatches, meshLogBatches } from "./stream-batches.js";

/**
 * The chain stream holds exactly positions 1…size, nothing deleted, the log has every one of them, and the stream is
 * older than every checkpoint.
 */
export async function intactChainSize(
  nc: NatsConnection,
  mesh: string,
  store: AuditStore,
  checkpoints: readonly Checkpoint[],
): Promise<number | undefined> {
  if (!(store instanceof JetStreamAuditStore)) return undefined;
  const jsm = await jetstreamManager(nc);
  const { state, created } = await jsm.streams.info(auditStreamNames(mesh).chainStream);
  const size = state.last_seq;
  const contiguous = state.messages === size && (size === 0 || state.first_seq === 1) && (state.num_deleted ?? 0) === 0;
  if (!contiguous || size > (await meshLogEnd(nc, mesh))) return undefined;
  const born = Date.parse(created);
  if (!Number.isFinite(born) || checkpoints.some((cp) => !(cp.at >= born))) return undefined;
  return size;
}

/**
 * The sources of a fast-path walk of a chain of `size` links whose positions 1…covered a checkpoint vouches for: the
 * events of the log from 1 to size, and the stored links after `covered` only (verifyChain's `recomputedThrough`
 * recomputes the rest). Both read in batches.
 */
export function checkpointWalk(
  nc: NatsConnection,
  mesh: string,
  covered: number,
  size: number,
): { events: BatchedSource<LogEvent>; links: BatchedSource<ChainLink> } {
  return { events: meshLogBatches(nc, mesh, 1, size), links: chainBatches(nc, mesh, covered + 1, size) };
}

export function largestCheckpoint(checkpoints: readonly Checkpoint[]): number {
  return checkpoints.reduce((max, cp) => Math.max(max, cp.size), 0);
}
