/**
 * Rebuild: how long a fresh registry node takes from `startRegistryNode` until it has applied the whole mesh log,
 * against the baseline of a bare ordered consumer reading the same messages (the follower's own settings: batches
 * of 4,096, no acks, nothing done per message). Then the same node writes a snapshot; more events are appended while
 * it is stopped; a restart from the snapshot replays only that tail.
 * Memory: the process's RSS sampled every 50 ms while the node rebuilds (peak, and before), and the heap after.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent } from "@plexus/anp/internal";
import { meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import { startRegistryNode, type RegistryNode } from "@plexus/registry";
import { SNAPSHOT_FILE } from "@plexus/registry/internal";
import { now, rate, round } from "./lib.js";

const MB = 1024 * 1024;

/** Reads the whole mesh stream with an ordered consumer, counting messages. */
export async function bareRead(nc: NatsConnection, mesh: string): Promise<{ messages: number; ms: number }> {
  const stream = meshSubjects(mesh).stream;
  const last = (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq;
  const t0 = now();
  const consumer = await jetstream(nc).consumers.get(stream, { opt_start_seq: 1 });
  const messages = await consumer.consume({ max_messages: 4_096 });
  let n = 0;
  for await (const m of messages) {
    n += 1;
    if (m.seq >= last) break;
  }
  const ms = now() - t0;
  await consumer.delete().catch(() => undefined);
  return { messages: n, ms };
}

/**
 * What one AgentJoined costs a rebuild in `decodeEvent` alone (JSON, schema, RFC 8785 form, Ed25519 check of the
 * registry's signature), over `events` sample events: µs per event.
 */
export function decodeCostUs(events: readonly Uint8Array[], trusted: ReadonlySet<string>): number {
  for (const e of events.slice(0, 100)) decodeEvent(e, trusted);
  const t0 = now();
  for (const e of events) decodeEvent(e, trusted);
  return round(((now() - t0) * 1000) / events.length, 1);
}

/** Samples the process's RSS until stopped; returns the peak in bytes. */
function rssSampler(): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage.rss());
  };
}

export interface NodeSetup {
  url: string;
  mesh: string;
  key: KeyPair;
  /** Snapshots go here; none without it. */
  dataDir?: string;
  /** The discovery and rebuild nodes are told a 1 h beat, so nothing turns suspect while the benchmark runs. */
  heartbeatIntervalMs: number;
  log: (line: string) => void;
  /**
   * Project as a node in operator mode does (the server pins publishers: replies and receipts are attributed by their
   * subject, only inbox signatures are checked). Default false: the open server the benchmark runs, every signature.
   */
  pinnedPublishers?: boolean;
}

export function startNode(s: NodeSetup): Promise<RegistryNode> {
  const { url, mesh, key, dataDir, heartbeatIntervalMs, log, pinnedPublishers } = s;
  return startRegistryNode({
    nats: url,
    mesh,
    key,
    http: { host: "127.0.0.1", port: 0 },
    ...(dataDir ? { dataDir } : {}),
    ...(pinnedPublishers !== undefined ? { pinnedPublishers } : {}),
    heartbeatIntervalMs,
    log,
  });
}

/** A full rebuild with memory figures; the node is returned running. */
export async function fullRebuild(s: NodeSetup) {
  const rssBefore = process.memoryUsage.rss();
  const stopSampling = rssSampler();
  const t0 = now();
  const node = await startNode(s);
  const startMs = now() - t0;
  const peak = stopSampling();
  const { rebuild } = node.status();
  if (rebuild.fromSnapshot) throw new Error("the rebuild node found a snapshot: the data folder is not fresh");
  return {
    node,
    figures: {
      events: rebuild.events,
      rebuild_ms: rebuild.ms,
      events_per_s: rate(rebuild.events, rebuild.ms),
      start_ms: Math.round(startMs),
      rss_before_mb: Math.round(rssBefore / MB),
      rss_peak_mb: Math.round(peak / MB),
      heap_used_after_mb: Math.round(process.memoryUsage().heapUsed / MB),
    },
  };
}

/** Snapshot of a running node, then stop; `appendTail` writes more events; restart from the snapshot. */
export async function snapshotRestart(node: RegistryNode, s: NodeSetup, appendTail: () => Promise<number>) {
  const t0 = now();
  // How long the event loop stood still meanwhile (queries, beats and the log all wait for it).
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await node.snapshot();
  delay.disable();
  const snapshotMs = now() - t0;
  const blockedMs = Math.round(delay.max / 1e6);
  if (!s.dataDir) throw new Error("a snapshot needs a data folder");
  const bytes = await stat(join(s.dataDir, SNAPSHOT_FILE)).then(
    (st) => st.size,
    () => undefined,
  );
  await node.stop();
  // The node logs why (through `log`); the figures say that it failed rather than stopping the whole run.
  if (bytes === undefined)
    return { snapshot_failed: true, snapshot_write_ms: Math.round(snapshotMs), snapshot_loop_blocked_ms: blockedMs };
  const tail = await appendTail();
  const t1 = now();
  const restarted = await startNode(s);
  const startMs = now() - t1;
  const { rebuild } = restarted.status();
  await restarted.stop();
  return {
    snapshot_write_ms: Math.round(snapshotMs),
    snapshot_loop_blocked_ms: blockedMs,
    snapshot_mb: round(bytes / MB, 1),
    tail_events: tail,
    from_snapshot: rebuild.fromSnapshot,
    restart_rebuild_ms: rebuild.ms,
    restart_events_replayed: rebuild.events,
    restart_start_ms: Math.round(startMs),
  };
}
