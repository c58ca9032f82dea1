import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EvidenceLedger } from "../reputation/index.js";
import type { LedgerSnapshot } from "../reputation/index.js";
import type { AgentRecord } from "../types.js";
import { ConversationIndex, type ConversationSnapshot } from "./conversations.js";
import { PendingRequests, type PendingSnapshot } from "./pending-requests.js";
import { RegistryState, type ProjectionOptions } from "./registry-state.js";

/**
 * Snapshots of the registry state, so that a restart replays only the tail of the log. A snapshot names the mesh
 * stream it came from (its creation time): one taken from another stream, or from beyond the stream's end, is
 * ignored and the node rebuilds from the start. Written to a temporary file and renamed, so a crash mid-write
 * leaves the previous snapshot.
 */
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_FILE = "registry-snapshot.json";

interface SnapshotFile {
  version: typeof SNAPSHOT_VERSION;
  mesh: string;
  stream: string;
  streamCreated: string;
  seq: number;
  clock: number;
  agents: AgentRecord[];
  nonces: [string, number][];
  ratings: string[];
  conversations: ConversationSnapshot;
  pending: PendingSnapshot;
  ledger: LedgerSnapshot;
  counters: Record<string, number>;
}

export interface StreamIdentity {
  mesh: string;
  stream: string;
  created: string;
  lastSeq: number;
}

export async function saveSnapshot(dir: string, state: RegistryState, id: StreamIdentity): Promise<number> {
  const file: SnapshotFile = {
    version: SNAPSHOT_VERSION,
    mesh: id.mesh,
    stream: id.stream,
    streamCreated: id.created,
    seq: state.seq,
    clock: state.clock,
    agents: [...state.agents.values()],
    nonces: [...state.nonces],
    ratings: [...state.ratings],
    conversations: state.conversations.toJSON(),
    pending: state.pending.toJSON(),
    ledger: state.ledger.toJSON(),
    counters: state.counters,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SNAPSHOT_FILE);
  const text = JSON.stringify(file);
  await writeFile(`${path}.tmp`, text, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return text.length;
}

export type SnapshotLoad = { state: RegistryState; seq: number } | { state: undefined; reason: string };

export async function loadSnapshot(dir: string, options: ProjectionOptions, id: StreamIdentity): Promise<SnapshotLoad> {
  let file: SnapshotFile;
  try {
    file = JSON.parse(await readFile(join(dir, SNAPSHOT_FILE), "utf8")) as SnapshotFile;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { state: undefined, reason: code === "ENOENT" ? "no snapshot yet" : `snapshot unreadable (${code ?? (err as Error).message})` };
  }
  if (file.version !== SNAPSHOT_VERSION) return { state: undefined, reason: `snapshot version ${String(file.version)} is not ${SNAPSHOT_VERSION}` };
  if (file.mesh !== id.mesh || file.stream !== id.stream || file.streamCreated !== id.created) {
    return { state: undefined, reason: "snapshot belongs to another stream (recreated or another mesh)" };
  }
  if (file.seq > id.lastSeq) return { state: undefined, reason: `snapshot is at ${file.seq}, beyond the stream's end ${id.lastSeq}` };
  const state = new RegistryState(options);
  state.seq = file.seq;
  state.clock = file.clock;
  for (const a of file.agents) {
    state.agents.set(a.did, a);
    if (a.present) state.cards.upsert(a.did, a.card);
  }
  state.nonces = new Map(file.nonces);
  state.ratings = new Set(file.ratings);
  state.conversations = ConversationIndex.fromJSON(file.conversations);
  state.pending = PendingRequests.fromJSON(file.pending);
  state.ledger = EvidenceLedger.fromJSON(file.ledger, { halfLifeMs: options.halfLifeMs });
  state.counters = file.counters;
  return { state, seq: file.seq };
}
