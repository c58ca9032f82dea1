import {
  jetstream,
  JetStreamApiCodes,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { historyStreamNames } from "@plexus/bus";
import { historyStreamSettings, replicasError, replicasFor } from "@plexus/bus/internal";
import { assertMeshId, ErrorCode, PlexusError } from "@plexus/core";
import { GENESIS } from "../chain.js";
import type { AppendResult, AuditStore, ChainHead, ChainLink, Checkpoint } from "../types.js";
import { AckedPublisher, type PublishAck, type PublishItem } from "./acked-publisher.js";
import { decodeCheckpoint, decodeLink, encodeCheckpoint, encodeLink } from "./codec.js";
import type { CheckpointIndex } from "./checkpoint-lookup.js";
import { readStreamRange } from "./stream-range.js";
import { ensureTileStream, JetStreamTileStore } from "./jetstream-tiles.js";

export interface JetStreamAuditStoreOptions {
  nc: NatsConnection;
  mesh: string;
  /**
   * Replicas of the audit streams when this creates them (1 on a single server, 3 in a JetStream cluster). Default: the
   * mesh's settings (@plexus/bus readMeshSettings).
   */
  replicas?: number;
  /** Wait for each append's acknowledgement this long (ms). Default 10 s. */
  appendTimeoutMs?: number;
}

export interface AuditStreamNames {
  chainStream: string;
  chainSubject: string;
  checkpointStream: string;
  checkpointSubject: string;
}

/**
 * The audit streams of a mesh. Their subjects live under `plexus-audit.<mesh>.`, outside the mesh stream's
 * `plexus.<mesh>.>`: JetStream refuses streams with overlapping subjects, and the chain must not be part of the log
 * it seals.
 */
export function auditStreamNames(mesh: string): AuditStreamNames {
  const names = historyStreamNames(assertMeshId(mesh));
  return {
    chainStream: names.auditChain,
    chainSubject: `plexus-audit.${mesh}.chain`,
    checkpointStream: names.auditCheckpoints,
    checkpointSubject: `plexus-audit.${mesh}.checkpoint`,
  };
}

/**
 * Stream settings, on purpose:
 * - one subject, one link per message: the chain stream's sequence IS the chain position, so "append position n" is a
 *   publish with expected-last-sequence n-1, which the stream leader checks atomically: exactly one writer wins;
 * - deny_delete and deny_purge: no client can remove a link or a checkpoint, or truncate either stream, through the
 *   JetStream API (a sealed position can only be read, never taken back; sequences stay contiguous from 1);
 * - limits retention with no age/size/count limit and discard old: nothing ever expires, and no consumer's acks remove
 *   anything (interest or work-queue retention would);
 * - file storage, `replicas` copies: the chain outlives a server restart; durability against an OS crash is the
 *   server's `sync_interval`, as for the mesh stream;
 * - no rollups, no duplicate window (appends are deduplicated by their expected sequence, not by message id).
 * Deleting a whole stream, or updating its settings, is not covered by deny_delete: in operator mode the mesh's
 * service user (sealers, registry nodes, operator commands) may not (@plexus/bus service-permissions.ts); only the admin
 * user of the provisioning step may. Every sealer checks the streams' settings and creation time (@plexus/bus
 * HistoryGuard); the verifier still names a missing chain, and exported checkpoints keep a witness outside the server.
 */
export function auditStreamConfigs(mesh: string, replicas = 1): [StreamConfigInput, StreamConfigInput] {
  const names = auditStreamNames(mesh);
  const common = historyStreamSettings(replicas);
  return [
    {
      ...common,
      name: names.chainStream,
      subjects: [names.chainSubject],
      description: `Plexus mesh "${mesh}": audit hash chain`,
    },
    {
      ...common,
      name: names.checkpointStream,
      subjects: [names.checkpointSubject],
      description: `Plexus mesh "${mesh}": signed audit checkpoints`,
    },
  ];
}

type StreamConfigInput = Partial<StreamConfig> & { name: string; subjects: string[] };

/**
 * Creates the audit streams of a mesh when missing, with `replicas` or else the mesh's settings. With `update`, existing
 * ones are brought to the current settings and that replica count: what provisioning does with the admin user
 * (`plexus up`, `plexus mesh create`); the service user may only create.
 */
export async function ensureAuditStreams(
  nc: NatsConnection,
  mesh: string,
  options: { replicas?: number; update?: boolean } = {},
): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const replicas = await replicasFor(jsm, mesh, options.replicas);
  for (const config of auditStreamConfigs(mesh, replicas)) {
    let exists = true;
    try {
      await jsm.streams.info(config.name);
    } catch (err) {
      if ((err as { name?: string }).name !== "StreamNotFoundError")
        throw storeError(`cannot open audit stream ${config.name}`, err);
      exists = false;
    }
    if (exists && !options.update) continue;
    await (exists ? jsm.streams.update(config.name, config) : jsm.streams.add(config)).catch((err: unknown) => {
      throw replicasError(err, config.name, replicas);
    });
  }
  // The Merkle tree's tiles (derived data, see jetstream-tiles.ts).
  await ensureTileStream(nc, mesh, { ...options, replicas });
  return jsm;
}

/** Opens (creating when missing) the JetStream audit store of a mesh. The connection stays the caller's. */
export async function openJetStreamAuditStore(options: JetStreamAuditStoreOptions): Promise<JetStreamAuditStore> {
  const jsm = await ensureAuditStreams(
    options.nc,
    options.mesh,
    options.replicas !== undefined ? { replicas: options.replicas } : {},
  );
  return new JetStreamAuditStore(options, jsm);
}

export class JetStreamAuditStore implements AuditStore, CheckpointIndex {
  readonly backend = "jetstream";
  readonly names: AuditStreamNames;
  readonly tiles: JetStreamTileStore;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #timeout: number;
  readonly #appends: AckedPublisher;
  #closed = false;

  /** Use `openJetStreamAuditStore`, which creates the streams. */
  constructor(options: JetStreamAuditStoreOptions, jsm: JetStreamManager) {
    this.names = auditStreamNames(options.mesh);
    this.#js = jetstream(options.nc);
    this.#jsm = jsm;
    this.#timeout = options.appendTimeoutMs ?? 10_000;
    this.#appends = new AckedPublisher(options.nc, this.#timeout);
    this.tiles = new JetStreamTileStore(options.nc, jsm, options.mesh, { timeoutMs: this.#timeout });
  }

  async head(): Promise<ChainHead> {
    this.#open();
    const last = await this.#jsm.streams.getMessage(this.names.chainStream, { last_by_subj: this.names.chainSubject });
    if (!last) return { size: 0, hash: GENESIS };
    return { size: last.seq, hash: decodeLink(last.data, last.seq).hash };
  }

  async append(link: ChainLink, expectedSize: number): Promise<AppendResult> {
    this.#open();
    if (link.n !== expectedSize + 1) {
      throw new PlexusError(ErrorCode.InvalidArgument, `link ${link.n} cannot follow a chain of ${expectedSize} links`);
    }
    let ack;
    try {
      ack = await this.#appends.publish(this.names.chainSubject, encodeLink(link), expectedSize);
    } catch (err) {
      throw storeError(`append of link ${link.n} failed`, err);
    }
    return this.#appendResult(link, ack);
  }

  /**
   * The sealer's pipelined appends: the same as `Promise.allSettled(links.map((l) => this.append(l, l.n - 1)))`, with
   * the same outcome for each link (each its own publish with expected last sequence n-1, all in flight at once, in
   * order), but published in one synchronous run and settled with one promise for the lot.
   */
  async appendAll(links: readonly ChainLink[]): Promise<PromiseSettledResult<AppendResult>[]> {
    if (this.#closed) {
      const reason = new PlexusError(ErrorCode.Closed, "the audit store was closed");
      return links.map(() => ({ status: "rejected", reason }));
    }
    const items = new Array<PublishItem>(links.length);
    for (let i = 0; i < links.length; i++)
      items[i] = { data: encodeLink(links[i]!), expectLastSequence: links[i]!.n - 1 };
    const outcomes = await this.#appends.publishAll(this.names.chainSubject, items);
    const results = new Array<PromiseSettledResult<AppendResult>>(links.length);
    // Conflicts whose ack does not name the real size share one look-up (made after all the acks, like each append's).
    let head: Promise<ChainHead> | undefined;
    const size = () => (head ??= this.head());
    for (let i = 0; i < links.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error) {
        results[i] = { status: "rejected", reason: storeError(`append of link ${links[i]!.n} failed`, outcome) };
      } else if (outcome.ok) {
        results[i] = { status: "fulfilled", value: { ok: true, size: outcome.seq } };
      } else {
        try {
          results[i] = { status: "fulfilled", value: await this.#appendResult(links[i]!, outcome, size) };
        } catch (err) {
          results[i] = { status: "rejected", reason: err };
        }
      }
    }
    return results;
  }

  async #appendResult(
    link: ChainLink,
    ack: PublishAck,
    head: () => Promise<ChainHead> = () => this.head(),
  ): Promise<AppendResult> {
    if (ack.ok) return { ok: true, size: ack.seq };
    if (ack.errCode === JetStreamApiCodes.StreamWrongLastSequence) {
      return { ok: false, conflict: true, size: actualSize(ack.description) ?? (await head()).size };
    }
    throw new PlexusError(
      ErrorCode.AuditStoreFailed,
      `append of link ${link.n} refused: ${ack.description} (${ack.errCode})`,
      {
        details: { errCode: ack.errCode },
      },
    );
  }

  async *links(from: number, to?: number): AsyncIterable<ChainLink> {
    this.#open();
    const last = await this.#lastSeq(this.names.chainStream);
    const end = to === undefined ? last : Math.min(to, last);
    for await (const m of readStreamRange(this.#js, this.names.chainStream, Math.max(1, from), end)) {
      yield decodeLink(m.data, m.seq);
    }
  }

  async link(n: number): Promise<ChainLink | undefined> {
    this.#open();
    if (!Number.isSafeInteger(n) || n < 1) return undefined;
    // The leader's MSG.GET, not a direct get: a direct get may be answered by a lagging follower.
    const m = await this.#jsm.streams.getMessage(this.names.chainStream, { seq: n });
    return m ? decodeLink(m.data, m.seq) : undefined;
  }

  async appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    this.#open();
    try {
      await this.#js.publish(this.names.checkpointSubject, encodeCheckpoint(checkpoint), { timeout: this.#timeout });
    } catch (err) {
      throw storeError(`storing the checkpoint at ${checkpoint.size} failed`, err);
    }
  }

  async *checkpoints(): AsyncIterable<Checkpoint> {
    this.#open();
    const end = await this.#lastSeq(this.names.checkpointStream);
    for await (const m of readStreamRange(this.#js, this.names.checkpointStream, 1, end)) {
      yield decodeCheckpoint(m.data);
    }
  }

  /** The last checkpoint message (one read; checkpoint-lookup.ts). */
  async lastCheckpoint(): Promise<{ seq: number; checkpoint: Checkpoint } | undefined> {
    this.#open();
    const m = await this.#jsm.streams.getMessage(this.names.checkpointStream, {
      last_by_subj: this.names.checkpointSubject,
    });
    return m ? { seq: m.seq, checkpoint: decodeCheckpoint(m.data) } : undefined;
  }

  /** The checkpoint message at stream sequence `seq` (checkpoint-lookup.ts). */
  async checkpointAt(seq: number): Promise<Checkpoint | undefined> {
    this.#open();
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    const m = await this.#jsm.streams.getMessage(this.names.checkpointStream, { seq });
    return m ? decodeCheckpoint(m.data) : undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#appends.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #lastSeq(stream: string): Promise<number> {
    return (await this.#jsm.streams.info(stream)).state.last_seq;
  }

  #open(): void {
    if (this.#closed) throw new PlexusError(ErrorCode.Closed, "the audit store was closed");
  }
}

/** The server names the stream's real last sequence in the description ("wrong last sequence: 42"). */
function actualSize(description: string): number | undefined {
  const match = /(\d+)\s*$/.exec(description);
  return match ? Number(match[1]) : undefined;
}

function storeError(message: string, cause: unknown): PlexusError {
  if (cause instanceof PlexusError) return cause;
  return new PlexusError(ErrorCode.AuditStoreFailed, `${message}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
  });
}
