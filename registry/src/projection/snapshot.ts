import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { EvidenceLedger, LEDGER_SNAPSHOT_FORMAT } from "../reputation/index.js";
import type { PairSnapshot } from "../reputation/index.js";
import type { AgentRecord } from "../types.js";
import { ConversationIndex, type ConversationSnapshot } from "./conversations.js";
import { IdentityState, type IdentitySnapshot } from "./identity-state.js";
import { CredentialBook, type CredentialsSnapshot } from "./credentials.js";
import { PendingRequests, type PendingRequest } from "./pending-requests.js";
import { RecentMessages, type RecentMessage } from "./recent-messages.js";
import { TrustAnchorBook, type TrustAnchorsSnapshot } from "./trust-anchors.js";
import { RegistryState, type ProjectionOptions } from "./registry-state.js";

/**
 * Snapshots of the registry state, so that a restart replays only the tail of the log.
 *
 * JSON Lines: a header line, then one line per record — `["identity", IdentitySnapshot]` (first), `["credentials", CredentialsSnapshot]`, `["trust", TrustAnchorsSnapshot]`, `["agent", AgentRecord]`, `["nonce", nonce, at]`,
 * `["rating", key]`, `["conversation", id, edges]`, `["pending", request]`, `["recent", message]`, `["evidence", subject, pairs]` — then
 * `["end", records]`. Written line by line, yielding to the event loop between batches, so a large state neither
 * freezes the node for seconds nor needs one string longer than V8 allows; the caller keeps the state still
 * meanwhile (the follower pauses). Written to a temporary file and renamed, so a crash mid-write leaves the previous
 * snapshot. A snapshot names the mesh stream it came from (its creation time): one from another stream, from beyond
 * the stream's end, or cut short, is ignored and the node rebuilds from the start.
 */
/**
 * 5: trust anchors (a "trust" record), the recent messages evidence is checked against ("recent") and the ledger's
 * rating columns. 6: agent key rotations with their log position, time and compromise flag (identity "rotations").
 * An older snapshot is refused and the node rebuilds from the log.
 */
export const SNAPSHOT_VERSION = 6;
export const SNAPSHOT_FILE = "registry-snapshot.jsonl";

interface Header {
  version: typeof SNAPSHOT_VERSION;
  mesh: string;
  stream: string;
  streamCreated: string;
  seq: number;
  clock: number;
  halfLifeMs: number;
  pinnedPublishers: boolean;
  replyWindowMs: number;
  counters: Record<string, number>;
}

type Line =
  | ["identity", IdentitySnapshot]
  | ["credentials", CredentialsSnapshot]
  | ["trust", TrustAnchorsSnapshot]
  | ["agent", AgentRecord]
  | ["nonce", string, number]
  | ["rating", string]
  | ["conversation", string, ConversationSnapshot[number][1]]
  | ["pending", PendingRequest]
  | ["recent", RecentMessage]
  | ["evidence", string, PairSnapshot[]]
  | ["end", number];

export interface StreamIdentity {
  mesh: string;
  stream: string;
  created: string;
  lastSeq: number;
}

/** Lines written between two yields to the event loop. */
const LINES_PER_TURN = 2_000;

/** Writes a snapshot of `state`, which must not change until the returned promise settles. Returns its size in bytes. */
export async function saveSnapshot(dir: string, state: RegistryState, id: StreamIdentity): Promise<number> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SNAPSHOT_FILE);
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp, { mode: 0o600 });
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => undefined);
  try {
    const header: Header = {
      version: SNAPSHOT_VERSION,
      mesh: id.mesh,
      stream: id.stream,
      streamCreated: id.created,
      seq: state.seq,
      clock: state.clock,
      halfLifeMs: state.ledger.halfLifeMs,
      pinnedPublishers: state.options.pinnedPublishers,
      replyWindowMs: state.options.replyWindowMs,
      counters: state.counters,
    };
    const writer = new LineWriter(out, failed);
    await writer.line(header);
    await writer.record(["identity", state.identity.toJSON()]);
    await writer.record(["credentials", state.credentials.toJSON()]);
    await writer.record(["trust", state.trust.toJSON()]);
    for (const a of state.agents.values()) await writer.record(["agent", a]);
    for (const [n, at] of state.nonces) await writer.record(["nonce", n, at]);
    for (const r of state.ratings) await writer.record(["rating", r]);
    for (const [c, edges] of state.conversations.toJSON()) await writer.record(["conversation", c, edges]);
    for (const p of state.pending.toJSON()) await writer.record(["pending", p]);
    for (const m of state.recent.toJSON()) await writer.record(["recent", m]);
    for (const [subject, pairs] of state.ledger.toJSON().subjects) await writer.record(["evidence", subject, pairs]);
    await writer.line(["end", writer.records]);
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    await rename(tmp, path);
    return writer.bytes;
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}

class LineWriter {
  records = 0;
  bytes = 0;
  #sinceYield = 0;
  readonly #out: WriteStream;
  readonly #failed: Promise<never>;

  constructor(out: WriteStream, failed: Promise<never>) {
    this.#out = out;
    this.#failed = failed;
  }

  record(line: Line): Promise<void> | undefined {
    this.records += 1;
    return this.line(line);
  }

  line(value: unknown): Promise<void> | undefined {
    const text = `${JSON.stringify(value)}\n`;
    this.bytes += Buffer.byteLength(text);
    const more = this.#out.write(text);
    if (!more) return Promise.race([new Promise<void>((r) => this.#out.once("drain", r)), this.#failed]);
    if (++this.#sinceYield >= LINES_PER_TURN) {
      this.#sinceYield = 0;
      return new Promise<void>((r) => setImmediate(r));
    }
    return undefined;
  }
}

export type SnapshotLoad = { state: RegistryState; seq: number } | { state: undefined; reason: string };

export async function loadSnapshot(dir: string, options: ProjectionOptions, id: StreamIdentity): Promise<SnapshotLoad> {
  const input = createReadStream(join(dir, SNAPSHOT_FILE), { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    let header: Header | undefined;
    let state: RegistryState | undefined;
    const conversations: ConversationSnapshot = [];
    const pending: PendingRequest[] = [];
    const recent: RecentMessage[] = [];
    const evidence: [string, PairSnapshot[]][] = [];
    let records = 0;
    for await (const text of lines) {
      if (!header) {
        header = JSON.parse(text) as Header;
        const refusal = refuse(header, options, id);
        if (refusal) return { state: undefined, reason: refusal };
        state = new RegistryState(options);
        continue;
      }
      const s = state as RegistryState;
      const line = JSON.parse(text) as Line;
      switch (line[0]) {
        case "identity":
          s.identity = IdentityState.fromJSON(line[1]);
          break;
        case "credentials":
          s.credentials = CredentialBook.fromJSON(line[1]);
          break;
        case "trust":
          s.trust = TrustAnchorBook.fromJSON(line[1]);
          break;
        case "agent":
          s.agents.set(line[1].did, line[1]);
          if (line[1].present && !s.identity.suspended.has(line[1].did))
            s.cards.upsert(line[1].did, line[1].card, line[1].firstJoinSeq);
          break;
        case "nonce":
          s.nonces.set(line[1], line[2]);
          break;
        case "rating":
          s.ratings.add(line[1]);
          break;
        case "conversation":
          conversations.push([line[1], line[2]]);
          break;
        case "pending":
          pending.push(line[1]);
          break;
        case "recent":
          recent.push(line[1]);
          break;
        case "evidence":
          evidence.push([line[1], line[2]]);
          break;
        case "end": {
          if (line[1] !== records)
            return { state: undefined, reason: `snapshot holds ${records} records, its end says ${line[1]}` };
          s.seq = header.seq;
          s.clock = header.clock;
          s.counters = header.counters;
          s.conversations = ConversationIndex.fromJSON(conversations);
          s.pending = PendingRequests.fromJSON(pending);
          s.recent = RecentMessages.fromJSON(recent);
          s.ledger = EvidenceLedger.fromJSON(
            { format: LEDGER_SNAPSHOT_FORMAT, halfLifeMs: header.halfLifeMs, subjects: evidence },
            { halfLifeMs: options.halfLifeMs },
          );
          return { state: s, seq: header.seq };
        }
        default:
          return { state: undefined, reason: `snapshot has an unknown record "${String((line as unknown[])[0])}"` };
      }
      records += 1;
    }
    return { state: undefined, reason: header ? "snapshot is cut short (no end record)" : "snapshot is empty" };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      state: undefined,
      reason: code === "ENOENT" ? "no snapshot yet" : `snapshot unreadable (${code ?? (err as Error).message})`,
    };
  } finally {
    lines.close();
    input.destroy();
  }
}

/**
 * The stream a snapshot was taken from (its header only), or undefined without a readable one. A node whose data
 * folder predates history anchors takes its anchor from here, so a log recreated before the upgrade is still caught.
 */
export async function snapshotStream(dir: string): Promise<{ stream: string; created: string } | undefined> {
  const input = createReadStream(join(dir, SNAPSHOT_FILE), { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      const header = JSON.parse(text) as Partial<Header>;
      return typeof header.stream === "string" && typeof header.streamCreated === "string"
        ? { stream: header.stream, created: header.streamCreated }
        : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    lines.close();
    input.destroy();
  }
}

function refuse(header: Header, options: ProjectionOptions, id: StreamIdentity): string | undefined {
  if (header.version !== SNAPSHOT_VERSION)
    return `snapshot version ${String(header.version)} is not ${SNAPSHOT_VERSION}`;
  if (header.mesh !== id.mesh || header.stream !== id.stream || header.streamCreated !== id.created) {
    return "snapshot belongs to another stream (recreated or another mesh)";
  }
  if (header.seq > id.lastSeq) return `snapshot is at ${header.seq}, beyond the stream's end ${id.lastSeq}`;
  if (header.halfLifeMs !== options.halfLifeMs)
    return `snapshot was taken with halfLifeMs ${header.halfLifeMs}, this node uses ${options.halfLifeMs}`;
  if (header.replyWindowMs !== options.replyWindowMs)
    return `snapshot was taken with replyWindowMs ${String(header.replyWindowMs)}, this node uses ${options.replyWindowMs}`;
  if (header.pinnedPublishers !== options.pinnedPublishers)
    return `snapshot was taken with pinnedPublishers ${String(header.pinnedPublishers)}, this node uses ${options.pinnedPublishers}`;
  return undefined;
}
