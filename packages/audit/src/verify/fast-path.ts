/**
 * The fast path of live verification. Signed checkpoints already commit to every position they cover, so for those
 * positions the walk compares the chain recomputed from the raw log with the checkpoints alone, and reads the stored
 * links only after the last checkpoint. That halves what is read from the server (the NATS client's parsing is the
 * cost of a live verification). The stored links it skips are guarded by the chain stream's own state: a stream that
 * starts at 1, has no deleted message and is no longer than the log cannot hold a changed, missing or extra link
 * (JetStream never rewrites a stored message), unless a privileged client deleted the whole stream and wrote it again:
 * so the stream must also have been created before every checkpoint was signed (a recreated chain stream is younger
 * than the checkpoints that vouch for the old one; server clock against the sealer's, and a skewed clock only costs
 * the fast path). Anything else, or any fault at all, and the caller runs the full comparison, which names the first
 * bad position; so the fast path only ever shortens a clean run.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { GENESIS, makeLink } from "../chain.js";
import { auditStreamNames, JetStreamAuditStore } from "../store/jetstream-store.js";
import { meshLogEnd, readMeshLog } from "../store/mesh-log.js";
import type { AuditStore, ChainLink, Checkpoint, LogEvent } from "../types.js";

/**
 * The chain stream holds exactly positions 1…size, nothing deleted, the log has every one of them, and the stream is
 * older than every checkpoint.
 */
export async function intactChainSize(nc: NatsConnection, mesh: string, store: AuditStore, checkpoints: readonly Checkpoint[]): Promise<number | undefined> {
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
 * Events of the log from position 1, and beside them the links to compare: recomputed from the same events up to
 * `covered` (the largest checkpoint), the stored ones after it. One pass over the log feeds both.
 */
export function checkpointWalk(nc: NatsConnection, mesh: string, store: AuditStore, covered: number): { events: AsyncIterable<LogEvent>; links: AsyncIterable<ChainLink> } {
  const source = readMeshLog(nc, mesh, 1)[Symbol.asyncIterator]();
  const events: LogEvent[] = [];
  const recomputed: ChainLink[] = [];
  let prev = GENESIS;
  let done = false;
  /** An event past `covered` was read: no more recomputed links will come (even if the log skipped `covered`). */
  let passed = false;
  const pull = async (): Promise<void> => {
    const next = await source.next();
    if (next.done) {
      done = true;
      return;
    }
    events.push(next.value);
    if (next.value.n <= covered) {
      const link = makeLink(prev, next.value);
      prev = link.hash;
      recomputed.push(link);
    } else passed = true;
  };
  const side = <T>(queue: T[], finished: () => boolean): AsyncIterable<T> => ({
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        while (queue.length === 0) {
          if (finished()) return { done: true, value: undefined };
          await pull();
        }
        return { done: false, value: queue.shift()! };
      },
      return: async () => ({ done: true, value: undefined }),
    }),
  });
  const recomputedSide = side(recomputed, () => done || passed);
  const links: AsyncIterable<ChainLink> = {
    async *[Symbol.asyncIterator]() {
      let last = 0;
      for await (const link of recomputedSide) {
        last = link.n;
        yield link;
        if (last >= covered) break;
      }
      yield* store.links(Math.max(last, covered) + 1);
    },
  };
  return { events: side(events, () => done), links };
}

export function largestCheckpoint(checkpoints: readonly Checkpoint[]): number {
  return checkpoints.reduce((max, cp) => Math.max(max, cp.size), 0);
}
