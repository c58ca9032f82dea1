/**
 * Brings every existing stream and KV bucket of a mesh to a replica count: the last step of provisioning
 * (`plexus mesh create --replicas N`, `plexus up`), after the streams provisioning creates with their settings. It
 * changes only num_replicas (JetStream keeps the rest of each stream's configuration, and moves the data to the new
 * peers itself in a cluster), and only where it differs. Needs the admin user (operator mode): the service user may
 * not update streams. JetStream's refusal (fewer servers than replicas) comes back as REPLICAS_UNAVAILABLE.
 */
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshStreamNames } from "./auth/service-permissions.js";
import { assertReplicas, replicasError } from "./mesh-settings.js";

export interface ReplicaChange {
  name: string;
  from: number;
  to: number;
}

/** Sets num_replicas of every existing Plexus stream of `mesh` to `replicas`; returns what changed. */
export async function setMeshReplicas(
  nc: NatsConnection | JetStreamManager,
  mesh: string,
  replicas: number,
): Promise<ReplicaChange[]> {
  assertReplicas(replicas);
  const jsm = "streams" in nc ? nc : await jetstreamManager(nc);
  const changed: ReplicaChange[] = [];
  for (const name of meshStreamNames(mesh)) {
    const info = await infoOrNone(jsm, name);
    const from = info?.config.num_replicas || 1;
    if (!info || from === replicas) continue;
    await jsm.streams.update(name, { num_replicas: replicas }).catch((err: unknown) => {
      throw replicasError(err, name, replicas);
    });
    changed.push({ name, from, to: replicas });
    await leaderElected(jsm, name);
  }
  return changed;
}

/** Resolves once the stream answers with a leader (up to `waitMs`, default 30 s; then the caller's next step says why). */
export async function leaderElected(jsm: JetStreamManager, name: string, waitMs = 30_000): Promise<void> {
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    const info = await jsm.streams.info(name).catch(() => undefined);
    if (info && (info.cluster?.leader || !info.cluster)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function infoOrNone(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if ((err as { name?: string }).name === "StreamNotFoundError") return undefined;
    throw err;
  }
}
