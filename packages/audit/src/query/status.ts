/**
 * `plexus audit status`: the chain's head, how far the sealer lags behind the mesh log, the last checkpoint, and the
 * sealers that run (their signed presence records, node/presence.ts): which one writes, each one's state and the
 * reason when one is stalled, refused or failed. `stalled` is true when a live sealer reports a problem, or when events
 * wait and no live sealer is writing.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshSubjects } from "@plexus/core";
import { meshLogEnd } from "../store/mesh-log.js";
import { decodeCheckpoint } from "../store/codec.js";
import { auditStreamNames, JetStreamAuditStore } from "../store/jetstream-store.js";
import { verifyCheckpoint } from "../sealer/checkpoint.js";
import type { AuditStore, ChainHead, Checkpoint } from "../types.js";
import { readSealerPresence, troubledSealers, type SealerSighting } from "../node/presence.js";

export interface AuditStatus {
  mesh: string;
  backend: string;
  head: ChainHead;
  /** Events in the mesh log now. */
  logEnd: number;
  /** Events the sealer has yet to seal: logEnd − head.size. */
  lag: number;
  lastCheckpoint?: Checkpoint & { valid: boolean };
  /** The sealers' presence records, newest first (dead ones too, for an hour: `live` false). */
  sealers: SealerSighting[];
  /** A live sealer reports a problem, or events wait and no live sealer writes: `stalledReasons` says which. */
  stalled: boolean;
  stalledReasons: string[];
}

export async function auditStatus(o: { nc: NatsConnection; mesh: string; store: AuditStore }): Promise<AuditStatus> {
  const [head, logEnd, last, sealers] = await Promise.all([o.store.head(), meshLogEnd(o.nc, o.mesh), lastCheckpoint(o.nc, o.store), readSealerPresence(o.nc, o.mesh)]);
  const lag = Math.max(0, logEnd - head.size);
  const reasons = sealerTrouble(sealers, lag);
  return {
    mesh: o.mesh,
    backend: o.store.backend,
    head,
    logEnd,
    lag,
    ...(last ? { lastCheckpoint: { ...last, valid: verifyCheckpoint(last) } } : {}),
    sealers,
    stalled: reasons.length > 0,
    stalledReasons: reasons,
  };
}

/** Why the mesh is not being sealed as it should, in words (empty: it is). */
export function sealerTrouble(sealers: readonly SealerSighting[], lag: number): string[] {
  const reasons = troubledSealers(sealers).map((s) =>
    s.valid ? `sealer ${s.id} (${s.host}, pid ${s.pid}) is ${s.state}: ${s.problem ? `${s.problem.reason} [${s.problem.code}]` : "no reason given"}` : `sealer ${s.id}: its presence record's signature does not verify`,
  );
  const writing = sealers.some((s) => s.live && s.role === "active");
  if (lag > 0 && !writing) reasons.push(`${lag} events wait to be sealed and no sealer is writing (none seen in the last few seconds: run plexus audit seal, plexus up or plexus registry start)`);
  return reasons;
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
