/**
 * A mesh's settings: what provisioning decides once for the whole mesh (`plexus mesh create`, `plexus up`) and every
 * node reads at start. Today one: how many replicas every stream and KV bucket Plexus makes for the mesh keeps.
 *
 * Where they live: in the mesh stream's metadata (NATS 2.10 stream metadata, key `plexus.replicas`). Why there and not
 * in a bucket of their own: the mesh stream is what every node and agent opens first and may already read (STREAM.INFO
 * is in every user's permissions, an agent's too), only the admin user may change it (service and agent users may not
 * update streams), and a settings bucket would be one more stream to replicate and permit, and could disagree with the
 * log it describes. A mesh stream made before settings existed has no metadata: its num_replicas is the setting (what
 * its operator made it). No mesh stream: nothing was provisioned, 1.
 *
 * Creators of streams and buckets take `replicas` from their caller and, when the caller gives none, read the settings
 * here (`replicasFor`): a caller that forgets still creates what the mesh asks for, which is the failure this setting
 * exists to end (every stream was R1 because nothing passed a count).
 */
import { JetStreamApiError, jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, meshSubjects, PlexusError } from "@plexus/core";

/** The metadata key of the replica count on the mesh stream. */
export const MESH_REPLICAS_KEY = "plexus.replicas";
/** JetStream keeps at most 5 replicas of a stream. */
export const MAX_REPLICAS = 5;

export interface MeshSettings {
  /** Replicas of every stream and KV bucket of the mesh. */
  replicas: number;
  /** Where the value came from: the mesh stream's metadata, its num_replicas (no metadata), or no mesh stream at all. */
  source: "metadata" | "stream" | "default";
}

/** A replica count: an integer from 1 to MAX_REPLICAS, or INVALID_ARGUMENT. */
export function assertReplicas(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS)
    throw new PlexusError(ErrorCode.InvalidArgument, `replicas must be an integer from 1 to ${MAX_REPLICAS}, got ${n}`);
  return n;
}

/** The settings a mesh stream's info carries (undefined: no mesh stream). */
export function meshSettingsOf(info: StreamInfo | undefined): MeshSettings {
  if (!info) return { replicas: 1, source: "default" };
  const raw = info.config.metadata?.[MESH_REPLICAS_KEY];
  const asked = raw !== undefined && /^[1-9]$/.test(raw) ? Number(raw) : undefined;
  if (asked !== undefined && asked <= MAX_REPLICAS) return { replicas: asked, source: "metadata" };
  return { replicas: Math.max(1, info.config.num_replicas || 1), source: "stream" };
}

/** The mesh stream's metadata with the settings written in (other keys kept). */
export function withMeshSettings(
  metadata: Record<string, string> | undefined,
  settings: Pick<MeshSettings, "replicas">,
): Record<string, string> {
  return { ...metadata, [MESH_REPLICAS_KEY]: String(assertReplicas(settings.replicas)) };
}

/** The mesh stream's info, or undefined when there is none. */
export async function meshStreamInfo(jsm: JetStreamManager, mesh: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(meshSubjects(mesh).stream);
  } catch (err) {
    if ((err as { name?: string }).name === "StreamNotFoundError") return undefined;
    throw err;
  }
}

/** Reads the mesh's settings (one STREAM.INFO of the mesh stream). */
export async function readMeshSettings(nc: NatsConnection | JetStreamManager, mesh: string): Promise<MeshSettings> {
  // No account-info check first: it asks the meta leader, which may be the server that just died, while each stream
  // answers from its own leader.
  const jsm = "streams" in nc ? nc : await jetstreamManager(nc, { checkAPI: false });
  return meshSettingsOf(await meshStreamInfo(jsm, mesh));
}

/** The replica count to create a stream or bucket of the mesh with: the one given, else the mesh's setting. */
export async function replicasFor(
  nc: NatsConnection | JetStreamManager,
  mesh: string,
  given: number | undefined,
): Promise<number> {
  return given !== undefined ? assertReplicas(given) : (await readMeshSettings(nc, mesh)).replicas;
}

/** JetStream's answers when a stream cannot have the replicas asked: insufficient resources, no peers, no cluster. */
const TOO_FEW_SERVERS = new Set([10023, 10005, 10074]);
/** "no suitable peers for placement": also what a cluster answers while its servers are still joining the meta group. */
const NO_PEERS_YET = 10005;

/**
 * Refuses a replica count above 1 on a server that is not part of a cluster (its INFO names no cluster): nats-server
 * 2.10 refuses to create such a stream, but accepts the update of an existing one to it and then keeps one copy.
 */
export function assertPlaceable(nc: NatsConnection, replicas: number): void {
  const info = nc.info;
  if (replicas <= 1 || !info || info.cluster) return;
  throw new PlexusError(
    ErrorCode.ReplicasUnavailable,
    `cannot keep ${replicas} replicas: NATS server ${info.server_name} is not part of a JetStream cluster (it keeps 1)`,
    { details: { replicas } },
  );
}

/**
 * Runs an idempotent step that places `replicas` copies, again while JetStream answers "no suitable peers for
 * placement" for up to `waitMs` (default 30 s; `onWait` hears it once): a cluster that just started answers so until
 * its meta leader has heard from every server (measured on loopback: more than 10 s after /healthz said ok).
 * `servers`: how many servers the cluster has, when known (the connection's INFO lists their client URLs): no retry
 * when there are fewer than `replicas`, as no wait can help.
 */
export async function whilePlacing<T>(
  step: () => Promise<T>,
  o: { replicas: number; servers?: number | undefined; waitMs?: number; onWait?: (why: string) => void },
): Promise<T> {
  const until = Date.now() + (o.waitMs ?? 30_000);
  let waiting = false;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      const placing = cause instanceof JetStreamApiError && cause.code === NO_PEERS_YET;
      const mayJoin = o.servers === undefined || o.servers >= o.replicas;
      if (!placing || !mayJoin || Date.now() >= until) throw err;
      if (!waiting) o.onWait?.(`waiting for the cluster to place ${o.replicas} replicas (${(cause as Error).message})`);
      waiting = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * JetStream's refusal of a replica count, as REPLICAS_UNAVAILABLE saying so (the server says only "insufficient
 * resources"); any other error as it was.
 */
export function replicasError(err: unknown, stream: string, replicas: number): unknown {
  if (!(err instanceof JetStreamApiError) || !TOO_FEW_SERVERS.has(err.code)) return err;
  const code = err.code;
  const why =
    code === 10074 ? "the server is not part of a JetStream cluster" : "the JetStream cluster has fewer servers";
  return new PlexusError(
    ErrorCode.ReplicasUnavailable,
    `cannot keep ${replicas} replicas of ${stream}: ${why} (JetStream: ${err.message})`,
    { cause: err, details: { stream, replicas } },
  );
}
