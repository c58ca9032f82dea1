/**
 * Heartbeat ingestion: N beats (round-robin over the joined agents, generated beforehand, each with a valid MAC)
 * are published into the heartbeat bucket as fast as the server takes them (pipelined, acknowledged); the rate is
 * N / the time from the first publish until the reader has taken the N-th. Measured twice in the same run, with the
 * same publisher on the same event loop:
 *   - the registry node's LivenessMonitor (its `heartbeats` counter, polled every 10 ms);
 *   - the baseline: a bare `kv.watch()` that only counts entries (no parsing, no MAC).
 * Plus the floor of the checks alone: `checkBeat` (JSON parse + two HMAC-SHA256) over the same beats, synchronously.
 */
import { KvWatchInclude, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { checkBeat, heartbeatSecret, openHeartbeatBucket } from "@plexus/anp/internal";
import { meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { RegistryNode } from "@plexus/registry";
import { log, now, rate, sleep } from "./lib.js";
import type { LogEntry, LogWriter } from "./registry-log.js";
import { beatMaker, type SyntheticAgent } from "./registry-population.js";

/** A reader that gains nothing for this long is done (some beats may have been superseded before delivery). */
const IDLE_MS = 3_000;

export interface HeartbeatSetup {
  nc: NatsConnection;
  writer: LogWriter;
  mesh: string;
  registry: KeyPair;
  agents: readonly SyntheticAgent[];
  n: number;
}

interface Phase {
  publish_per_s: number;
  ingested: number;
  ingest_per_s: number;
}

let round = 1;

function beats(s: HeartbeatSetup): LogEntry[] {
  const make = beatMaker(
    heartbeatSecret(s.registry.exportSeed(), s.mesh),
    meshSubjects(s.mesh).heartbeatBucket,
    s.agents,
  );
  round += 1;
  const ts = Date.now();
  return Array.from({ length: s.n }, (_, i) => make(i, round * s.n + i, ts));
}

/** Publishes the beats and waits until `count()` (what the reader took since the start) reaches N or stops growing. */
async function phase(s: HeartbeatSetup, count: () => number): Promise<Phase> {
  const entries = beats(s);
  const t0 = now();
  let publishMs = 0;
  const writing = s.writer.write(entries).then(() => (publishMs = now() - t0));
  let seen = 0;
  let seenAt = t0;
  while (seen < s.n && now() - seenAt < IDLE_MS) {
    await sleep(10);
    const c = count();
    if (c > seen) [seen, seenAt] = [c, now()];
  }
  await writing;
  if (seen < s.n)
    log(`registry: WARNING: the reader took ${seen} of ${s.n} beats (the others were superseded before delivery)`);
  return { publish_per_s: rate(s.n, publishMs), ingested: seen, ingest_per_s: rate(seen, seenAt - t0) };
}

/** The node's monitor ingesting live beats (the node must be running and ready). */
export function nodeIngestion(s: HeartbeatSetup, node: RegistryNode): Promise<Phase> {
  const before = node.status().counters.heartbeats ?? 0;
  return phase(s, () => (node.status().counters.heartbeats ?? 0) - before);
}

/** The baseline: a bare watcher of the same bucket, counting entries (run with no node following the bucket). */
export async function bareWatcherIngestion(s: HeartbeatSetup): Promise<Phase> {
  const kv: KV = await openHeartbeatBucket(s.nc, meshSubjects(s.mesh).heartbeatBucket, false);
  const watch = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
  let n = 0;
  const reading = (async () => {
    for await (const _ of watch) n += 1;
  })();
  try {
    return await phase(s, () => n);
  } finally {
    watch.stop();
    await reading;
  }
}

/** checkBeat alone over N beats: the monitor's CPU floor per beat. */
export function checkOnly(s: HeartbeatSetup): number {
  const secret = heartbeatSecret(s.registry.exportSeed(), s.mesh);
  const entries = beats(s);
  const t0 = now();
  let ok = 0;
  for (const e of entries) if (checkBeat(secret, e.data, Date.now()).ok) ok += 1;
  const ms = now() - t0;
  if (ok !== entries.length) throw new Error(`${entries.length - ok} generated beats failed their check`);
  return rate(entries.length, ms);
}
