/** `plexus audit status`: the chain's head, how far the sealer lags behind the mesh log, the last checkpoint. */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshSubjects } from "@plexus/core";
import { meshLogEnd } from "../store/mesh-log.js";
import { decodeCheckpoint } from "../store/codec.js";
import { auditStreamNames, JetStreamAuditStore } from "../store/jetstream-store.js";
import { verifyCheckpoint } from "../sealer/checkpoint.js";
import type { AuditStore, ChainHead, Checkpoint } from "../types.js";

export interface AuditStatus {
  mesh: string;
  backend: string;
  head: ChainHead;
  /** Events in the mesh log now. */
  logEnd: number;
  /** Events the sealer has yet to seal: logEnd − head.size. */
  lag: number;
  lastCheckpoint?: Checkpoint & { valid: boolean };
}

export async function auditStatus(o: { nc: NatsConnection; mesh: string; store: AuditStore }): Promise<AuditStatus> {
  const [head, logEnd, last] = await Promise.all([o.store.head(), meshLogEnd(o.nc, o.mesh), lastCheckpoint(o.nc, o.store)]);
  return {
    mesh: o.mesh,
    backend: o.store.backend,
    head,
    logEnd,
    lag: Math.max(0, logEnd - head.size),
    ...(last ? { lastCheckpoint: { ...last, valid: verifyCheckpoint(last) } } : {}),
  };
}

/** The newest checkpoint: one read on JetStream, a walk over all of them on other backends. */
async function lastCheckpoint(nc: NatsConnection, store: AuditStore): Promise<Checkpoint | undefined> {
  if (store instanceof JetStreamAuditStore) {
    const jsm = await jetstreamManager(nc);
    const m = await jsm.streams.getMessage(store.names.checkpointStream, { last_by_subj: store.names.checkpointSubject });
    return m ? decodeCheckpoint(m.data) : undefined;
  }
  let last: Checkpoint | undefined;
  for await (const cp of store.checkpoints()) last = cp;
  return last;
}

/** Whether the mesh's log and its audit chain exist, without creating either (opening the store would). */
export async function auditPresence(nc: NatsConnection, mesh: string): Promise<{ log: boolean; chain: boolean }> {
  const jsm = await jetstreamManager(nc);
  const exists = (name: string) =>
    jsm.streams.info(name).then(
      () => true,
      (err: unknown) => {
        if ((err as { name?: string }).name === "StreamNotFoundError") return false;
        throw err;
      },
    );
  const [log, chain] = await Promise.all([exists(meshSubjects(mesh).stream), exists(auditStreamNames(mesh).chainStream)]);
  return { log, chain };
}
