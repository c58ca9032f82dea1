/**
 * The newest checkpoint that vouches for this mesh's chain: signed by a trusted key (any whose signature holds, when
 * none is given), of this log (its note names the mesh's origin), and about this chain (its head is the chain's stored
 * link at its size). The checkpoints stream is writable by whoever holds the mesh's service credentials, so the
 * newest message proves nothing by itself: a genuine old checkpoint put back, or a fresh one of another mesh signed by
 * the same registry key, must not pass for the newest of this chain. `checkpointLookup` finds the newest trusted one
 * of this origin in a read or two (and scans when the stream's order was tampered with); one whose head is not the
 * chain's link falls back to a scan for the largest that is.
 */
import { defaultOrigin } from "../note/checkpoint-note.js";
import { acceptsCheckpoint, checkpointLookup } from "../store/checkpoint-lookup.js";
import type { AuditStore, Checkpoint } from "../types.js";

export async function newestTrustedCheckpoint(
  store: AuditStore,
  o: { mesh: string; trusted?: readonly string[] },
): Promise<Checkpoint | undefined> {
  const origin = defaultOrigin(o.mesh);
  const filter = { ...(o.trusted ? { trusted: o.trusted } : {}), origin };
  const newest = await checkpointLookup(store, filter).newest();
  if (!newest || (await headsChain(store, newest))) return newest;
  let found: Checkpoint | undefined;
  const accepts = acceptsCheckpoint(filter);
  for await (const cp of store.checkpoints()) {
    if ((found && cp.size <= found.size) || !accepts(cp)) continue;
    if (await headsChain(store, cp)) found = cp;
  }
  return found;
}

async function headsChain(store: AuditStore, cp: Checkpoint): Promise<boolean> {
  if (cp.size === 0) return true;
  return (await store.link(cp.size))?.hash === cp.head;
}
