/**
 * Is the mesh being sealed? Judged from the log and the chain themselves, never from what a sealer's record or the
 * writer lease claim: both live in a bucket that every holder of the mesh's service credentials can write
 * (node/presence.ts), so a forged "running, lag 0" record must not make `audit status` or `verify` say ok.
 *
 * The rule: events wait to be sealed (the log's end is past the chain's head), the oldest of them was written to the
 * log at least `stallAfterMs` ago (default 15 s; the server's time of the write against this host's clock), and the
 * chain's head does not move while the reader looks again `settleMs` later (default 2 s). Then nothing seals the mesh,
 * whatever any record says. A head that moves over an old backlog is a sealer catching up: said, not a stall.
 *
 * The chain's links must also be signed: a sealer signs a checkpoint every 1,000 links or 5 s while the head moves, so
 * links past the newest checkpoint (signed by a trusted key, when the reader has pinned keys) whose checkpoint is
 * older than `unsignedAfterMs` (default twice `stallAfterMs`) mean that nothing holding the registry key signs the
 * chain, even if someone else appends the links (`signingProgress`).
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshSubjects } from "@plexus/core";
import type { AuditStore, ChainHead, Checkpoint } from "../types.js";

export const DEFAULT_STALL_AFTER_MS = 15_000;
export const DEFAULT_SETTLE_MS = 2_000;

export interface SealingProgressOptions {
  nc: NatsConnection;
  mesh: string;
  store: AuditStore;
  /** The chain's head and the log's end as the caller just read them. */
  head: ChainHead;
  logEnd: number;
  stallAfterMs?: number;
  settleMs?: number;
  now?: () => number;
}

export interface SealingProgress {
  /** Events waiting to be sealed. */
  lag: number;
  /** How long the oldest of them has waited (ms), when there are any. */
  oldestWaitingMs?: number;
  /** Nothing seals: the reason in words. */
  stalled?: string;
  /** A head that moved over a backlog older than the threshold: the reason in words. */
  catchingUp?: string;
}

export async function sealingProgress(o: SealingProgressOptions): Promise<SealingProgress> {
  const now = o.now ?? Date.now;
  const lag = Math.max(0, o.logEnd - o.head.size);
  if (lag === 0) return { lag };
  const jsm = await jetstreamManager(o.nc);
  const oldest = await jsm.streams.getMessage(meshSubjects(o.mesh).stream, { seq: o.head.size + 1 }).catch(() => null);
  // The first waiting event cannot be read (the log was cut under the chain): verify reports that, not this.
  if (!oldest) return { lag };
  const oldestWaitingMs = Math.max(0, now() - oldest.time.getTime());
  const stallAfterMs = o.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  if (oldestWaitingMs < stallAfterMs) return { lag, oldestWaitingMs };
  await new Promise((r) => setTimeout(r, o.settleMs ?? DEFAULT_SETTLE_MS));
  const again = await o.store.head();
  const waited = `${count(lag, "event")} wait to be sealed, the oldest for ${Math.round(oldestWaitingMs / 1000)} s`;
  if (again.size > o.head.size)
    return {
      lag,
      oldestWaitingMs,
      catchingUp: `${waited}; the chain's head moves (${o.head.size} → ${again.size}): a sealer is catching up`,
    };
  return {
    lag,
    oldestWaitingMs,
    stalled: `${waited}, and the chain's head stays at ${o.head.size}: nothing seals the mesh (whatever the sealers' records say)`,
  };
}

/**
 * Why the chain's tail goes unsigned (undefined: it does not). `newest`: the newest checkpoint that vouches for this
 * chain (query/trusted-checkpoint.ts); without one, `firstEventAt` (when the event of link 1 was written to the log)
 * dates the wait.
 */
export function signingProgress(
  head: ChainHead,
  newest: Checkpoint | undefined,
  now: number,
  unsignedAfterMs = 2 * DEFAULT_STALL_AFTER_MS,
  firstEventAt?: number,
): string | undefined {
  if (head.size <= (newest?.size ?? 0)) return undefined;
  if (!newest) {
    if (firstEventAt === undefined || now - firstEventAt < unsignedAfterMs) return undefined;
    return `no checkpoint by a trusted key signs any of the chain's ${count(head.size, "link")} (the first event waits since ${Math.round((now - firstEventAt) / 1000)} s): nothing holding the registry key signs the chain`;
  }
  const age = now - newest.at;
  if (age < unsignedAfterMs) return undefined;
  return `${count(head.size - newest.size, "link")} past the newest checkpoint (at ${newest.size}, signed ${Math.round(age / 1000)} s ago by ${newest.signer}) go unsigned: nothing holding the registry key signs the chain`;
}

function count(n: number, what: string): string {
  return `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;
}
