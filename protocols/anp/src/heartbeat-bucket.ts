import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { replicasError } from "@plexus/bus/internal";
import { agentToken } from "@plexus/core";

/**
 * The heartbeat bucket of a mesh: file-backed, one value per agent (history 1), keyed by agent token.
 * Created by provisioning and registry nodes, with `replicas` copies (the mesh's settings, which the caller read:
 * @plexus/bus readMeshSettings; an existing bucket is opened as it is); agents only put into it.
 */
export async function openHeartbeatBucket(
  nc: NatsConnection,
  bucket: string,
  create: boolean,
  replicas = 1,
): Promise<KV> {
  const kvm = new Kvm(jetstream(nc));
  if (!create) return kvm.open(bucket);
  return kvm.create(bucket, { history: 1, replicas }).catch((err: unknown) => {
    throw replicasError(err, `KV_${bucket}`, replicas);
  });
}

export function heartbeatKey(did: string): string {
  return agentToken(did);
}
