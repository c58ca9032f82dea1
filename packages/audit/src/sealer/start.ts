/**
 * Starting (or resuming) a sealer: the history streams are checked first (a refused one gives a sealer that refuses,
 * saying why, and seals nothing); the chain's head must seal the mesh event at its position (else AUDIT_FORK); the
 * Merkle tree is reopened at the head (tree-keeper.ts); then the reader and writer start from the head.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { eventHash } from "../chain.js";
import type { ChainHead } from "../types.js";
import { forkError } from "./errors.js";
import { sealerHistoryGuard } from "./history.js";
import { SealerImpl } from "./sealer-impl.js";
import { TreeKeeper } from "./tree-keeper.js";
import type { Sealer, SealerOptions } from "./types.js";

/** Starts sealing `mesh` into `store`. Checks first that the chain's head seals the mesh event at its position. */
export async function startSealer(options: SealerOptions): Promise<Sealer> {
  await ensureMeshStream(options.nc, options.mesh);
  // Read first, as before the guard existed: sealers started together see the same head (and race for its positions).
  const head = await options.store.head();
  let sealer: SealerImpl | undefined;
  const guard = sealerHistoryGuard(options, (refusal) => sealer?.refuse(refusal));
  const refusal = await guard.check();
  if (refusal) {
    // Started, but refusing: nothing is read or sealed; stats() and caughtUp() say why.
    sealer = new SealerImpl(options, { size: 0, hash: "" }, guard, TreeKeeper.idle(options.store));
    sealer.refuse(refusal);
    return sealer;
  }
  await checkHeadAgainstLog(options, head);
  const tree =
    options.merkleTree === false
      ? TreeKeeper.off(options.store)
      : await TreeKeeper.open(options.nc, options.mesh, options.store, head.size, options.key.did);
  sealer = new SealerImpl(options, head, guard, tree);
  sealer.start();
  const late = await guard.start();
  if (late) sealer.refuse(late);
  return sealer;
}

async function checkHeadAgainstLog(o: SealerOptions, head: ChainHead): Promise<void> {
  if (head.size === 0) return;
  const jsm = await jetstreamManager(o.nc);
  const [link, event] = await Promise.all([
    o.store.link(head.size),
    jsm.streams.getMessage(meshSubjects(o.mesh).stream, { seq: head.size }),
  ]);
  if (!event || !link || link.hash !== head.hash || link.event !== eventHash(event.subject, event.data)) {
    throw forkError(head.size, "the chain's head does not seal the mesh event at its position", {
      stored: link?.hash,
      logHasEvent: !!event,
    });
  }
}
