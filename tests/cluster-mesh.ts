/**
 * What the cluster tests (and only they) need to know about a mesh on a JetStream cluster: its streams and buckets made
 * with a replica count, where each stream's log ends, whether every replica of a stream is current again after a
 * restart, and the LivenessChanged events a registry wrote.
 *
 * `provisionMesh` creates, before any node starts, every stream and KV bucket Plexus makes for a mesh, with `replicas`
 * copies (nodes open what exists as it is). It stands in for the mesh setting of issue 14 (`plexus mesh create
 * --replicas 3`) until that lands; then it should call that instead, and `replicaCounts` shows what the nodes made.
 */
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { ensureAuditStreams } from "@plexus/audit";
import { auditStreamNames, tileStreamConfig } from "@plexus/audit/internal";
import { ensureMeshStream } from "@plexus/bus";
import { sealerBucket } from "@plexus/bus/internal";
import { meshSubjects } from "@plexus/core";

const DAY_MS = 86_400_000;

/** The A2A gateway's task bucket (protocols/a2a task-store.ts, not exported). */
export const taskBucket = (mesh: string): string => `PLEXUS_${mesh.toUpperCase()}_A2A_TASKS`;

export async function provisionMesh(nc: NatsConnection, mesh: string, replicas: number): Promise<void> {
  await placeable(() => ensureMeshStream(nc, mesh, { replicas }));
  await ensureAuditStreams(nc, mesh, { replicas });
  const jsm = await jetstreamManager(nc);
  const tiles = tileStreamConfig(mesh, replicas);
  await jsm.streams.add(tiles).catch(async (err: unknown) => {
    if (!(await jsm.streams.info(tiles.name).catch(() => undefined))) throw err;
  });
  const kvm = new Kvm(jetstream(nc));
  // The settings each owner creates its bucket with (anp heartbeat-bucket.ts, audit presence.ts, a2a task-store.ts).
  await kvm.create(meshSubjects(mesh).heartbeatBucket, { history: 1, replicas });
  await kvm.create(sealerBucket(mesh), {
    history: 1,
    ttl: 3_600_000,
    maxValueSize: 4_096,
    max_bytes: 4 * 1024 * 1024,
    replicas,
  });
  await kvm.create(taskBucket(mesh), {
    history: 1,
    ttl: 30 * DAY_MS,
    description: "A2A tasks of the mesh's gateways",
    replicas,
  });
}

/**
 * Retries `create` while the cluster refuses it with "no suitable peers for placement": startTestCluster's quorum
 * comes before the meta leader knows every peer, and an R3 stream created in between is refused.
 */
async function placeable<T>(create: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await create();
    } catch (err) {
      if (Date.now() > end || !/no suitable peers/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Every stream of the mesh (KV buckets are streams KV_<bucket>) with its replica count. */
export async function replicaCounts(nc: NatsConnection, mesh: string): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const upper = mesh.toUpperCase();
  const out: Record<string, number> = {};
  for await (const s of jsm.streams.list()) {
    if (s.config.name.includes(`_${upper}`) || s.config.name.endsWith(upper))
      out[s.config.name] = s.config.num_replicas;
  }
  return out;
}

/** The mesh stream's and the audit chain's names. */
export function streamsOf(mesh: string): { mesh: string; chain: string } {
  return { mesh: meshSubjects(mesh).stream, chain: auditStreamNames(mesh).chainStream };
}

/** The last sequence of a stream (where its log ends now). */
export async function streamEnd(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.last_seq;
}

/**
 * What keeps the streams named from being fully replicated: a stream without a leader, a replica not current or
 * offline (a restarted server still catching up). Empty: another server may go down without a stream losing quorum.
 */
export async function replicasBehind(jsm: JetStreamManager, streams: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of streams) {
    const info = await jsm.streams.info(name).catch((err: unknown) => String(err));
    if (typeof info === "string") out.push(`${name}: ${info}`);
    else if (!info.cluster?.leader) out.push(`${name}: no leader`);
    else
      for (const r of info.cluster.replicas ?? [])
        if (!r.current || r.offline) out.push(`${name}: ${r.name} ${r.offline ? "offline" : `lag ${r.lag ?? "?"}`}`);
  }
  return out;
}

export interface LivenessRecord {
  agent: string;
  from: string;
  to: string;
  at: number;
  lastHeartbeat: number;
}

/** Every LivenessChanged event in the mesh's log (read from the stream, not from any node's view). */
export async function livenessEvents(nc: NatsConnection, mesh: string): Promise<LivenessRecord[]> {
  const subjects = meshSubjects(mesh);
  const consumer = await jetstream(nc).consumers.get(subjects.stream, {
    filter_subjects: [subjects.registryEvent("LivenessChanged", "*")],
  });
  const out: LivenessRecord[] = [];
  for (;;) {
    const m = await consumer.next({ expires: 2_000 });
    if (!m) return out;
    const e = m.json<{ agent: string; at: number; data: { from: string; to: string; lastHeartbeat: number } }>();
    out.push({ agent: e.agent, at: e.at, ...e.data });
    if (m.info.pending === 0) return out;
  }
}

/**
 * The consumers of a stream that hold messages not yet delivered, with how many pull requests wait on them (0 while
 * messages wait: the reader's pull was lost, e.g. with the consumer's leader) and where their leader is.
 */
export async function stuckConsumers(jsm: JetStreamManager, stream: string): Promise<string[]> {
  const out: string[] = [];
  for await (const c of jsm.consumers.list(stream)) {
    if (c.num_pending === 0 && c.num_ack_pending === 0) continue;
    out.push(
      `${c.name}: pending ${c.num_pending}, ack pending ${c.num_ack_pending}, pulls waiting ${c.num_waiting}, leader ${c.cluster?.leader ?? "none"}`,
    );
  }
  return out;
}
