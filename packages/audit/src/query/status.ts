/**
 * `plexus audit status`: the chain's head, how far the sealer lags behind the mesh log, the last checkpoint, and the
 * sealers that run (their signed presence records, node/presence.ts): which one writes, each one's state and the
 * reason when one is stalled, refused or failed.
 *
 * `stalled` is true when the chain itself shows that nothing seals (query/sealing-progress.ts), or when a live sealer
 * whose record is signed by a trusted key reports a problem. Records are believed only for their problems: a record
 * saying all is well never outweighs the chain, and one not signed by a trusted key is only mentioned.
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
import type { TrustedSigners } from "../node/signed-record.js";
import { DEFAULT_STALL_AFTER_MS, sealingProgress, signingProgress, type SealingProgress } from "./sealing-progress.js";
import { newestTrustedCheckpoint } from "./trusted-checkpoint.js";

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
  /** How long the oldest event waiting to be sealed has waited (ms), when events wait. */
  oldestWaitingMs?: number;
  /** Nothing seals (the chain says so), or a trusted live sealer reports a problem: `stalledReasons` says which. */
  stalled: boolean;
  stalledReasons: string[];
  /** Worth saying, not a stall: a sealer catching up or starting, events waiting with no sealer, records not believed. */
  warnings: string[];
}

export interface AuditStatusOptions {
  nc: NatsConnection;
  mesh: string;
  store: AuditStore;
  /** Keys whose sealer records count (default: any whose signature holds). */
  trusted?: TrustedSigners;
  /** See query/sealing-progress.ts. */
  stallAfterMs?: number;
  settleMs?: number;
}

export async function auditStatus(o: AuditStatusOptions): Promise<AuditStatus> {
  const [head, logEnd, last, sealers] = await Promise.all([
    o.store.head(),
    meshLogEnd(o.nc, o.mesh),
    lastCheckpoint(o.nc, o.store),
    readSealerPresence(o.nc, o.mesh, { trusted: o.trusted }),
  ]);
  const lag = Math.max(0, logEnd - head.size);
  const progress = await sealingProgress({ ...o, head, logEnd });
  const signed = await newestTrustedCheckpoint(o.store, {
    mesh: o.mesh,
    ...(o.trusted ? { trusted: [...o.trusted] } : {}),
  });
  const firstEventAt = !signed && head.size > 0 ? (await o.store.link(1))?.storedAt : undefined;
  const unsigned = signingProgress(
    head,
    signed,
    Date.now(),
    2 * (o.stallAfterMs ?? DEFAULT_STALL_AFTER_MS),
    firstEventAt,
  );
  const judged = judgeSealing(sealers, { ...progress, ...(unsigned ? { unsigned } : {}) });
  return {
    mesh: o.mesh,
    backend: o.store.backend,
    head,
    logEnd,
    lag,
    ...(last ? { lastCheckpoint: { ...last, valid: verifyCheckpoint(last) } } : {}),
    sealers,
    ...(progress.oldestWaitingMs !== undefined ? { oldestWaitingMs: progress.oldestWaitingMs } : {}),
    stalled: judged.stalled.length > 0,
    stalledReasons: judged.stalled,
    warnings: judged.warnings,
  };
}

/**
 * Whether the mesh is sealed as it should be, in words: `stalled` (the chain shows nothing seals; a trusted live sealer
 * reports a problem) and `warnings` (the rest worth saying). Both empty: all is well.
 */
export function judgeSealing(
  sealers: readonly SealerSighting[],
  progress: SealingProgress & { unsigned?: string },
): { stalled: string[]; warnings: string[] } {
  const stalled = troubledSealers(sealers).map(
    (s) =>
      `sealer ${s.id} (${s.host}, pid ${s.pid}) is ${s.state}: ${s.problem ? `${s.problem.reason} [${s.problem.code}]` : "no reason given"}`,
  );
  if (progress.stalled) stalled.push(progress.stalled);
  if (progress.unsigned) stalled.push(progress.unsigned);
  const warnings: string[] = [];
  for (const s of sealers) {
    if (!s.live || s.trusted) continue;
    warnings.push(`sealer record ${s.id}: ${s.doubt ?? "not believed"}; not believed`);
  }
  if (progress.catchingUp) warnings.push(progress.catchingUp);
  const believed = sealers.filter((s) => s.live && s.trusted && s.role === "active");
  for (const s of believed.filter((x) => x.state === "starting"))
    warnings.push(
      `sealer ${s.id} holds the writer lease and is starting (it reads the chain and the tree back before it seals)`,
    );
  if (progress.lag > 0 && !progress.stalled && !believed.some((s) => s.state === "running")) {
    warnings.push(
      `${progress.lag} events wait to be sealed and no sealer is seen writing (run plexus audit seal, plexus up or plexus registry start)`,
    );
  }
  return { stalled, warnings };
}

/** The newest checkpoint: one read on JetStream, a walk over all of them on other backends. */
async function lastCheckpoint(nc: NatsConnection, store: AuditStore): Promise<Checkpoint | undefined> {
  if (store instanceof JetStreamAuditStore) {
    const jsm = await jetstreamManager(nc);
    const m = await jsm.streams.getMessage(store.names.checkpointStream, {
      last_by_subj: store.names.checkpointSubject,
    });
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
  const [log, chain] = await Promise.all([
    exists(meshSubjects(mesh).stream),
    exists(auditStreamNames(mesh).chainStream),
  ]);
  return { log, chain };
}
