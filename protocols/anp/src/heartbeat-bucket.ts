import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { agentToken } from "@plexus/core";

/**
 * The heartbeat bucket of a mesh: file-backed, one value per agent (history 1), keyed by agent token.
 * Created by registry nodes; agents only put into it.
 */
export function openHeartbeatBucket(nc: NatsConnection, bucket: string, create: boolean): Promise<KV> {
  const kvm = new Kvm(jetstream(nc));
  return create ? kvm.create(bucket, { history: 1 }) : kvm.open(bucket);
}

export function heartbeatKey(did: string): string {
  return agentToken(did);
}
