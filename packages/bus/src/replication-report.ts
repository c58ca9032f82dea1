/**
 * How the streams and KV buckets of a mesh are replicated, against what the mesh's settings ask (mesh-settings.ts):
 * what `plexus mesh status` prints, what a registry node serves in /v1/status (`replication`) and a sealer in its
 * status, and what each logs at start, one warning line per stream below what the mesh asks.
 *
 * Per stream: `replicas` is what the stream is configured with, `current` how many copies are caught up now (the
 * leader and every replica the leader sees as current; 1 on a single server, 0 while the stream has no leader). It
 * reads every stream Plexus makes for the mesh (meshStreamNames, the list the service user's permissions are built
 * from, so a new one cannot be missed) with one STREAM.INFO each; streams not made yet are left out.
 */
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshStreamNames } from "./auth/service-permissions.js";
import { meshSettingsOf, type MeshSettings } from "./mesh-settings.js";
import { meshSubjects } from "@plexus/core";

export interface ReplicaPeer {
  name: string;
  current: boolean;
  /** Operations behind the leader. */
  lag?: number;
  offline?: boolean;
}

export interface StreamReplication {
  name: string;
  /** num_replicas the stream is configured with. */
  replicas: number;
  /** Copies caught up now: the leader and the replicas it sees as current. */
  current: number;
  /** The server leading the stream (none while it has no leader; the server's name on a single server). */
  leader?: string;
  /** The other copies, as the leader sees them (cluster only). */
  peers?: ReplicaPeer[];
  /** The stream did not answer (no leader that could): replicas and current are 0. */
  error?: string;
}

export interface ReplicationReport {
  mesh: string;
  /** Replicas the mesh's settings ask for every stream. */
  asked: number;
  /**
   * Where `asked` came from: the mesh stream's metadata, its num_replicas, no mesh stream ("default"), or a mesh
   * stream that did not answer ("unavailable": `asked` is then the most any stream of the mesh is configured with).
   */
  source: MeshSettings["source"] | "unavailable";
  streams: StreamReplication[];
  /** One line per stream below what the mesh asks (configured or current), and per stream without a leader. */
  warnings: string[];
}

/** Reads the mesh's settings and every Plexus stream of the mesh that exists. */
export async function replicationReport(
  nc: NatsConnection | JetStreamManager,
  mesh: string,
): Promise<ReplicationReport> {
  // No account-info check first: it asks the meta leader, which may be the server that just died, while each stream
  // answers from its own leader.
  const jsm = "streams" in nc ? nc : await jetstreamManager(nc, { checkAPI: false });
  const infos = await Promise.all(meshStreamNames(mesh).map((name) => infoOrNone(jsm, name)));
  const found = infos.filter((i) => i !== undefined);
  const streams = found.map((i) => ("error" in i ? i : streamReplication(i)));
  const meshEntry = found.find((i) => ("error" in i ? i.name : i.config.name) === meshSubjects(mesh).stream);
  const settings: Pick<ReplicationReport, "asked" | "source"> =
    meshEntry && "error" in meshEntry
      ? { asked: Math.max(1, ...streams.map((s) => s.replicas)), source: "unavailable" }
      : (({ replicas, source }) => ({ asked: replicas, source }))(meshSettingsOf(meshEntry));
  return { mesh, ...settings, streams, warnings: warnings(streams, settings.asked) };
}

export function streamReplication(info: StreamInfo): StreamReplication {
  const replicas = Math.max(1, info.config.num_replicas || 1);
  const cluster = info.cluster;
  // A single server holds one copy whatever the configuration says (2.10 accepts num_replicas > 1 in an update there).
  if (!cluster?.leader && !cluster?.replicas) return { name: info.config.name, replicas, current: cluster ? 0 : 1 };
  if (!cluster.replicas && replicas === 1) return { name: info.config.name, replicas, current: 1, ...leaderOf(info) };
  const peers = (cluster.replicas ?? []).map((r) => ({
    name: r.name,
    current: r.current,
    ...(r.lag !== undefined ? { lag: r.lag } : {}),
    ...(r.offline ? { offline: true } : {}),
  }));
  const current = cluster.leader ? 1 + peers.filter((p) => p.current && !p.offline).length : 0;
  return { name: info.config.name, replicas, current, ...leaderOf(info), peers };
}

function leaderOf(info: StreamInfo): { leader?: string } {
  return info.cluster?.leader ? { leader: info.cluster.leader } : {};
}

function warnings(streams: readonly StreamReplication[], asked: number): string[] {
  const out: string[] = [];
  for (const s of streams) {
    if (s.error !== undefined) out.push(`stream ${s.name} did not answer: ${s.error}`);
    else if (s.replicas < asked)
      out.push(`stream ${s.name} keeps ${s.replicas} of the ${asked} replicas the mesh asks for`);
    else if (s.current === 0) out.push(`stream ${s.name} has no leader`);
    else if (s.current < s.replicas) out.push(`stream ${s.name} has ${s.current} of ${s.replicas} replicas current`);
  }
  return out;
}

/** A stream's info; undefined when it does not exist; what went wrong when it did not answer. */
async function infoOrNone(
  jsm: JetStreamManager,
  name: string,
): Promise<StreamInfo | (StreamReplication & { error: string }) | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if ((err as { name?: string }).name === "StreamNotFoundError") return undefined;
    return { name, replicas: 0, current: 0, error: (err as Error).message };
  }
}
