/**
 * Making proofs from the live stores (a NATS connection that can read the mesh stream and the audit streams):
 * against the newest checkpoint that carries a Merkle root, from the stored tiles (a few reads), falling back to a
 * replay of the mesh log when tiles are missing or what they give does not check out (anyone holding the service
 * credentials can write the tile stream: every proof made from tiles is verified against the signed root before it is
 * handed out). A log that, replayed, still does not give the signed root is reported (AUDIT_FORK): it is not the log
 * that was signed. With `signers`, only checkpoints those keys signed count (a checkpoint someone else appended is
 * ignored); without, any whose note its own signer signed.
 */
import { jetstreamManager, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, meshSubjects, PlexusError } from "@plexus/core";
import { eventLeafHash } from "../merkle/hash.js";
import { MemoryTree } from "../merkle/memory.js";
import { proveConsistencyFromTiles, proveInclusionFromTiles } from "../merkle/prove.js";
import { TILE_WIDTH } from "../merkle/tiles.js";
import { consistencyPath, inclusionPath, rootAt } from "../merkle/tree.js";
import { verifyConsistency, verifyInclusion } from "../merkle/verify.js";
import { defaultOrigin, openCheckpointNote, parseCheckpointBody } from "../note/checkpoint-note.js";
import { parseNote } from "../note/signed-note.js";
import { checkpointNoteHolds } from "../sealer/checkpoint.js";
import { checkpointLookup, type CheckpointLookup } from "../store/checkpoint-lookup.js";
import { readMeshLog } from "../store/mesh-log.js";
import type { AuditStore, Checkpoint } from "../types.js";
import { CONSISTENCY_FORMAT, INCLUSION_FORMAT, type ConsistencyProofFile, type InclusionProofFile } from "./format.js";

export interface ProofSource {
  nc: NatsConnection;
  mesh: string;
  store: AuditStore;
  /** Only checkpoints signed by these keys (the registry's, e.g. `plexus audit prove --signer`); default: any signer. */
  signers?: readonly string[];
}

type RootedCheckpoint = Checkpoint & { root: string; note: string };

/**
 * The newest (largest) checkpoint with a Merkle root, its signature and note verified; undefined when there is none.
 * One or two reads on JetStream (store/checkpoint-lookup.ts), a walk over them all on other backends.
 */
export async function newestRootedCheckpoint(
  store: AuditStore,
  trusted?: readonly string[],
  origin?: string,
): Promise<RootedCheckpoint | undefined> {
  return (await rootedLookup(store, trusted, origin).newest()) as RootedCheckpoint | undefined;
}

/** `origin`: only checkpoints of that log (a checkpoint of another mesh signed by the same key, copied here, is not). */
function rootedLookup(store: AuditStore, trusted?: readonly string[], origin?: string): CheckpointLookup {
  return checkpointLookup(store, {
    rooted: true,
    ...(trusted !== undefined ? { trusted } : {}),
    ...(origin !== undefined ? { origin } : {}),
  });
}

/**
 * The keys an older checkpoint note may be signed by: any key that signed a rooted checkpoint here (a registry key
 * rotated since signed the older ones). The stored checkpoint of the note's size names it in a few reads; only a note
 * it does not open falls back to every signer in the store (a walk over them all).
 */
async function olderNoteSigners(
  store: AuditStore,
  note: string,
  newest: RootedCheckpoint,
  trusted?: readonly string[],
): Promise<string[]> {
  const size = noteSize(note);
  const atSize = size === undefined ? undefined : await rootedLookup(store, trusted).atSize(size);
  const near = [...new Set([newest.signer, ...(atSize ? [atSize.signer] : [])])];
  if (openCheckpointNote(note, near).ok) return near;
  const signers = new Set<string>(near);
  for await (const cp of store.checkpoints()) {
    if (
      signers.has(cp.signer) ||
      cp.root === undefined ||
      (trusted !== undefined && !trusted.includes(cp.signer)) ||
      !checkpointNoteHolds(cp)
    )
      continue;
    signers.add(cp.signer);
  }
  return [...signers];
}

/** The tree size a checkpoint note states (unverified: only to find the stored checkpoint of that size). */
function noteSize(note: string): number | undefined {
  const parsed = parseNote(note);
  return parsed.ok ? parseCheckpointBody(parsed.note.text)?.size : undefined;
}

/** The inclusion proof of the event at `position` (or of the envelope with id `id`) against the newest checkpoint. */
export async function proveInclusion(
  source: ProofSource & ({ position: number } | { id: string }),
): Promise<InclusionProofFile> {
  // A position asked for is read while the checkpoint is looked up (the read of one past the log finds nothing), and so
  // is its level-0 tile, which every proof of it needs: one round of reads in parallel instead of three in a row.
  const asked =
    "position" in source && Number.isSafeInteger(source.position) && source.position >= 1 ? source.position : undefined;
  const early = asked !== undefined ? readEvent(source, asked) : undefined;
  early?.catch(() => undefined); // awaited below, unless the checkpoint look-up fails first
  const leafTile =
    asked !== undefined
      ? source.store.tiles
          ?.readTile(0, Math.floor((asked - 1) / TILE_WIDTH), ((asked - 1) % TILE_WIDTH) + 1)
          .catch(() => undefined)
      : undefined;
  const cp = await requireCheckpoint(source.store, source.signers, defaultOrigin(source.mesh));
  const position = "position" in source ? source.position : await positionOfId(source, source.id, cp.size);
  if (!Number.isSafeInteger(position) || position < 1 || position > cp.size) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `position ${position} is not covered by the newest checkpoint (size ${cp.size})`,
      { details: { reason: "not_covered", size: cp.size } },
    );
  }
  const event = await (early ?? readEvent(source, position));
  if (!event)
    throw new PlexusError(ErrorCode.AuditStoreFailed, `the mesh log has no event at ${position}`, {
      details: { reason: "missing", position },
    });
  let hashes: Uint8Array[] | undefined;
  if (source.store.tiles) {
    await leafTile; // in the tile store's cache now (or missing: the proof below reads what it needs itself)
    try {
      const p = await proveInclusionFromTiles(source.store.tiles, position - 1, cp.size);
      if (
        verifyInclusion(
          eventLeafHash(event.subject, event.data),
          position - 1,
          cp.size,
          p.path,
          Buffer.from(cp.root, "hex"),
        )
      )
        hashes = p.path;
    } catch {
      // missing tiles: replay below
    }
  }
  if (!hashes) {
    const tree = await replay(source, cp);
    hashes = inclusionPath(tree, position - 1, cp.size);
  }
  return {
    format: INCLUSION_FORMAT,
    mesh: source.mesh,
    signer: cp.signer,
    checkpoint: cp.note,
    position,
    index: position - 1,
    size: cp.size,
    subject: event.subject,
    data: Buffer.from(event.data).toString("base64"),
    storedAt: event.time.getTime(),
    hashes: hashes.map((h) => Buffer.from(h).toString("base64")),
  };
}

/** One JetStream manager per connection, without the API check a new one makes (a round trip per proof). */
const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();

/** The mesh event at `position` (the leader's MSG.GET), or null when the log does not hold it. */
async function readEvent(source: ProofSource, position: number): Promise<StoredMsg | null> {
  let jsm = managers.get(source.nc);
  if (!jsm) managers.set(source.nc, (jsm = jetstreamManager(source.nc, { checkAPI: false })));
  return (await jsm).streams.getMessage(meshSubjects(source.mesh).stream, { seq: position });
}

/** The consistency proof from an older checkpoint note (as a proof file or a checker had it) to the newest one. */
export async function proveConsistency(source: ProofSource & { from: string }): Promise<ConsistencyProofFile> {
  const cp = await requireCheckpoint(source.store, source.signers, defaultOrigin(source.mesh));
  // The older note may be signed by a key the registry has rotated away from since: any key that signed a checkpoint here.
  const old = openCheckpointNote(source.from, await olderNoteSigners(source.store, source.from, cp, source.signers));
  const parsed = old.ok ? old.head : undefined;
  if (!parsed)
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `the older checkpoint is not a checkpoint note signed by a key that signed this log's checkpoints: ${old.ok ? "" : old.detail}`,
      { details: { reason: "checkpoint_signature" } },
    );
  if (parsed.origin !== (openCheckpointNote(cp.note, [cp.signer]) as { head?: { origin: string } }).head?.origin) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `the older checkpoint is for the log ${parsed.origin}, not this one`,
      { details: { reason: "origin" } },
    );
  }
  if (parsed.size > cp.size)
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `the older checkpoint (size ${parsed.size}) is larger than the newest (size ${cp.size})`,
      { details: { reason: "not_older" } },
    );
  let hashes: Uint8Array[] | undefined;
  if (source.store.tiles) {
    try {
      const p = await proveConsistencyFromTiles(source.store.tiles, parsed.size, cp.size);
      if (verifyConsistency(parsed.size, cp.size, p.proof, parsed.root, Buffer.from(cp.root, "hex"))) hashes = p.proof;
    } catch {
      // missing tiles: replay below
    }
  }
  if (!hashes) hashes = consistencyPath(await replay(source, cp), parsed.size, cp.size);
  return {
    format: CONSISTENCY_FORMAT,
    mesh: source.mesh,
    signer: cp.signer,
    from: source.from,
    to: cp.note,
    hashes: hashes.map((h) => Buffer.from(h).toString("base64")),
  };
}

async function requireCheckpoint(
  store: AuditStore,
  trusted: readonly string[] | undefined,
  origin: string,
): Promise<RootedCheckpoint> {
  const cp = await newestRootedCheckpoint(store, trusted, origin);
  if (!cp) throw noCheckpoint();
  return cp;
}

function noCheckpoint(): PlexusError {
  return new PlexusError(
    ErrorCode.AuditStoreFailed,
    "no checkpoint with a Merkle root yet (a sealer signs one every N links or T ms)",
    { details: { reason: "no_checkpoint" } },
  );
}

/** The tree of the mesh log's first `cp.size` events, which must give the signed root. */
async function replay(source: ProofSource, cp: RootedCheckpoint): Promise<MemoryTree> {
  const tree = new MemoryTree();
  for await (const e of readMeshLog(source.nc, source.mesh, 1, cp.size)) tree.push(eventLeafHash(e.subject, e.data));
  const root = tree.size === cp.size ? Buffer.from(rootAt(tree, cp.size)).toString("hex") : "";
  if (root !== cp.root) {
    throw new PlexusError(
      ErrorCode.AuditFork,
      `the mesh log's first ${cp.size} events do not give the root the checkpoint signed (${cp.root.slice(0, 12)}…)`,
      {
        details: { reason: "root_mismatch", size: cp.size, signed: cp.root, recomputed: root },
      },
    );
  }
  return tree;
}

/** The position of the envelope with this id (a byte search of each payload first, then a JSON check). */
async function positionOfId(source: ProofSource, id: string, end: number): Promise<number> {
  const needle = Buffer.from(JSON.stringify(id));
  for await (const e of readMeshLog(source.nc, source.mesh, 1, end)) {
    if (Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).indexOf(needle) < 0) continue;
    try {
      const v = JSON.parse(Buffer.from(e.data).toString("utf8")) as { id?: unknown };
      if (v?.id === id) return e.n;
    } catch {
      // not JSON
    }
  }
  throw new PlexusError(
    ErrorCode.InvalidArgument,
    `no event with id ${JSON.stringify(id)} in the first ${end} positions`,
    { details: { reason: "not_found" } },
  );
}
