/**
 * What the cluster tests (and only they) need to know about a mesh on a JetStream cluster: the mesh provisioned with
 * a replica count, what every stream of it actually keeps, where each stream's log ends, whether every replica of a
 * stream is current again after a restart, the consumers left with undelivered messages and no pull request, and the
 * LivenessChanged events a registry wrote.
 */
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { auditStreamNames } from "@plexus/audit/internal";
import { meshSubjects } from "@plexus/core";
import { provisionOn } from "@plexus/nodes";

/** The A2A gateway's task bucket (protocols/a2a task-store.ts, not exported). */
export const taskBucket = (mesh: string): string => `PLEXUS_${mesh.toUpperCase()}_A2A_TASKS`;

/**
 * Provisions the mesh as `plexus mesh create --replicas N` does (its settings in the mesh stream's metadata, the
 * streams and bucket provisioning makes); every node then creates the rest (sealers bucket, tiles, A2A tasks) with
 * the replica count it reads from the settings, which `replicaCounts` shows.
 */
export async function provisionMesh(nc: NatsConnection, mesh: string, replicas: number): Promise<void> {
  const quiet = () => undefined;
  await provisionOn(nc, mesh, { info: quiet, warn: quiet, error: quiet }, { replicas });
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
