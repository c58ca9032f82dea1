/**
 * A sealer node: one sealer of a mesh, on a connection the caller gives, that writes while it holds the writer lease
 * and stands by otherwise. This is the sealing logic; the processes that run one (a connection, the history-anchor
 * folder, health endpoints, lines for people: `plexus audit seal`, `plexus up`, `plexus registry start`) are composed
 * in nodes/ (@plexus/nodes startSealerProcess, startMeshSealer).
 *
 * Every beat (default 1 s) it:
 * - renews or tries to take the writer lease (lease.ts): the holder seals, the others stand by and take over when the
 *   holder stops renewing (ttl default 5 s), safety being the sealer's optimistic concurrency either way. A lease value
 *   not signed by a trusted key (this sealer's, or those in `trusted`) holds nothing: the sealer writes, and says so at
 *   "error";
 * - as a standby, judges the writer by the chain (writer-watch.ts): events waiting and a head that has not moved for
 *   `takeoverAfterMs` (default 15 s), or links past the newest trusted checkpoint left unsigned for that long (at
 *   least 3 checkpoint intervals), mean nothing seals, whatever the lease says: it takes over, at "error";
 * - starts the sealer when it has just taken the lease, stops it when it lost it;
 * - writes its signed presence record (presence.ts): role, state, head, lag, and the reason when something is wrong.
 *
 * It never stops silently: a refused history stream, a fork, a stuck or lagging sealer, a start that fails, each is
 * logged at "error" with its reason, shown by `status()` / `ready` (HTTP /readyz, the registry's /readyz) and in the
 * presence record that `plexus audit status` and `verify` read. A sealer refused or failed for good keeps the lease (a
 * standby would otherwise seal over a log this one refused) until an operator repairs the streams and restarts it.
 */
import { hostname } from "node:os";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { isHistoryRefusal, watchReplication, type ReplicationReport, type ReplicationWatch } from "@plexus/bus";
import { ErrorCode, isPlexusError, type PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import { startSealer, type Sealer, type SealerOptions, type SealerProblem } from "../sealer/sealer.js";
import { openJetStreamAuditStore } from "../store/jetstream-store.js";
import { meshLogEnd } from "../store/mesh-log.js";
import type { AuditStore, ChainHead } from "../types.js";
import { WriterLease } from "./lease.js";
import {
  openSealerBucket,
  publishPresence,
  readSealerPresence,
  sealerId,
  signPresence,
  type PresenceState,
  type SealerRole,
  type SealerSighting,
} from "./presence.js";
import { DEFAULT_TAKEOVER_MS, WriterWatch } from "./writer-watch.js";
import { signingProgress } from "../query/sealing-progress.js";
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from "../sealer/schedule.js";
import { newestTrustedCheckpoint } from "../query/trusted-checkpoint.js";

export interface SealerNodeOptions {
  nc: NatsConnection;
  mesh: string;
  /** Signs the checkpoints and the presence record (the registry key). */
  key: KeyPair;
  /** Default: the mesh's JetStream audit store on `nc` (closed by stop()). */
  store?: AuditStore;
  /** This sealer's id in the presence records and the lease (default <host>-<pid>). */
  id?: string;
  /** Where the history streams' creation times are remembered (see SealerOptions.historyDir). */
  historyDir?: string;
  /** How often the lease is renewed and the presence written (ms; default 1000). */
  beatMs?: number;
  /** A lease not renewed for this long is taken over by a standby (ms; default 5000). */
  leaseTtlMs?: number;
  /** Other keys whose lease and presence records count (the registry key's predecessors and successors). */
  trusted?: Iterable<string>;
  /** A standby takes over from a writer that leaves events unsealed this long (ms; default 15 s). */
  takeoverAfterMs?: number;
  /** Lines for people: "error" for everything that means the mesh is not being sealed as it should. */
  log?: (level: "info" | "error", line: string) => void;
  /** Sealer tuning passed through. */
  sealer?: Pick<
    SealerOptions,
    "checkpointEvery" | "checkpointIntervalMs" | "pipeline" | "historyCheckMs" | "watchMs" | "keepUp"
  >;
}

export interface SealerNodeStatus {
  id: string;
  mesh: string;
  host: string;
  pid: number;
  signer: string;
  role: SealerRole;
  state: PresenceState;
  /** Running and sealing normally, or standing by in good order. */
  ready: boolean;
  head: ChainHead;
  logEnd: number;
  lag: number;
  sealed: number;
  problem?: SealerProblem;
  /** The lease holder as last seen (this sealer's id when it writes). */
  writer?: string;
  startedAt: number;
  /** The mesh's replication as this sealer last read it (at start and every 30 s; @plexus/bus watchReplication). */
  replication?: ReplicationReport;
}

export interface SealerNode extends AsyncDisposable {
  readonly id: string;
  status(): SealerNodeStatus;
  /** The running sealer while this node writes. */
  sealer(): Sealer | undefined;
  /** Stops sealing, writes a last presence record ("stopped") and gives up the lease. */
  stop(): Promise<void>;
}

export async function startSealerNode(o: SealerNodeOptions): Promise<SealerNode> {
  const ownStore = o.store === undefined;
  // The mesh's settings first: what the streams and the bucket are created with, and a line per stream below them.
  const replication = await watchReplication({
    nc: o.nc,
    mesh: o.mesh,
    log: (level, line) => o.log?.("info", level === "warn" ? `warning: ${line}` : line),
  });
  const replicas = replication.current()?.asked;
  let store: AuditStore | undefined;
  let kv: KV;
  try {
    store =
      o.store ??
      (await openJetStreamAuditStore({ nc: o.nc, mesh: o.mesh, ...(replicas !== undefined ? { replicas } : {}) }));
    kv = await openSealerBucket(o.nc, o.mesh, replicas);
  } catch (err) {
    replication.stop();
    if (ownStore) await store?.close().catch(() => undefined);
    throw err;
  }
  const node = new SealerNodeImpl(o, store, kv, ownStore, replication);
  await node.beat();
  node.schedule();
  return node;
}

class SealerNodeImpl implements SealerNode {
  readonly id: string;
  readonly #o: SealerNodeOptions;
  readonly #store: AuditStore;
  readonly #ownStore: boolean;
  readonly #kv: KV;
  readonly #lease: WriterLease;
  readonly #trusted: ReadonlySet<string>;
  readonly #watch: WriterWatch;
  /** A chain tail left unsigned this long (ms) means the writer does not sign: max(takeover, 3 checkpoint intervals). */
  readonly #unsignedAfterMs: number;
  /** As a standby: why it neither seals nor takes over (the writer refused the log and keeps the lease). */
  #watchProblem: SealerProblem | undefined;
  /** The last reason the lease was not believed, as logged. */
  #forgery: string | undefined;
  readonly #startedAt = Date.now();
  readonly #beatMs: number;
  #sealer: Sealer | undefined;
  #starting = false;
  /** A start that failed: final for a fork, retried at the next beat otherwise. */
  #startProblem: (SealerProblem & { final: boolean }) | undefined;
  #standby = { head: { size: 0, hash: "" } as ChainHead, logEnd: 0 };
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #stopped = false;
  #presenceFailed = false;
  readonly #replication: ReplicationWatch;

  constructor(o: SealerNodeOptions, store: AuditStore, kv: KV, ownStore: boolean, replication: ReplicationWatch) {
    this.#o = o;
    this.#replication = replication;
    this.id = sealerId(o.id);
    this.#store = store;
    this.#ownStore = ownStore;
    this.#kv = kv;
    this.#beatMs = o.beatMs ?? 1_000;
    this.#trusted = new Set([o.key.did, ...(o.trusted ?? [])]);
    this.#lease = new WriterLease({
      kv,
      mesh: o.mesh,
      id: this.id,
      key: o.key,
      trusted: this.#trusted,
      ttlMs: o.leaseTtlMs ?? 5_000,
    });
    this.#watch = new WriterWatch(o.takeoverAfterMs !== undefined ? { stuckMs: o.takeoverAfterMs } : {});
    this.#unsignedAfterMs = Math.max(
      o.takeoverAfterMs ?? DEFAULT_TAKEOVER_MS,
      3 * (o.sealer?.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS),
    );
  }

  sealer(): Sealer | undefined {
    return this.#sealer;
  }

  status(): SealerNodeStatus {
    const base = {
      id: this.id,
      mesh: this.#o.mesh,
      host: hostname(),
      pid: process.pid,
      signer: this.#o.key.did,
      startedAt: this.#startedAt,
      ...replicationOf(this.#replication.current()),
    };
    const writer = this.#lease.holder;
    const w = writer !== undefined ? { writer } : {};
    if (this.#sealer) {
      const s = this.#sealer.stats();
      return {
        ...base,
        ...w,
        role: "active",
        state: s.state,
        ready: s.state === "running",
        head: s.head,
        logEnd: s.head.size + s.lagEvents,
        lag: s.lagEvents,
        sealed: s.sealed,
        ...(s.problem ? { problem: s.problem } : {}),
      };
    }
    const { head, logEnd } = this.#standby;
    const common = { head, logEnd, lag: Math.max(0, logEnd - head.size), sealed: 0 };
    if (this.#startProblem) {
      const { final: _final, ...problem } = this.#startProblem;
      return { ...base, ...w, ...common, role: "active", state: "failed", ready: false, problem };
    }
    if (this.#stopped) return { ...base, ...w, ...common, role: "standby", state: "stopped", ready: false };
    if (this.#lease.held) return { ...base, ...w, ...common, role: "active", state: "starting", ready: false };
    if (this.#watchProblem)
      return {
        ...base,
        ...w,
        ...common,
        role: "standby",
        state: "standby",
        ready: false,
        problem: { ...this.#watchProblem },
      };
    return { ...base, ...w, ...common, role: "standby", state: "standby", ready: true };
  }

  schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#beating = this.beat().finally(() => {
        this.#beating = undefined;
        this.schedule();
      });
    }, this.#beatMs);
  }

  async beat(): Promise<void> {
    if (this.#stopped) return;
    let held = this.#lease.held;
    try {
      held = await this.#lease.beat();
    } catch (err) {
      this.#log("info", `the writer lease could not be renewed (${(err as Error).message}); trying again`);
    }
    if (this.#stopped) return;
    this.#noteForgery();
    if (held && !this.#sealer && !this.#startProblem?.final) await this.#startSealing();
    else if (!held && this.#sealer) {
      this.#log("info", `${this.#lease.holder ?? "another sealer"} took the writer lease; ${this.id} stands by`);
      const s = this.#sealer;
      this.#sealer = undefined;
      this.#watch.reset();
      await s.stop().catch(() => undefined);
    }
    if (!this.#sealer) {
      await this.#readStandby();
      if (!this.#lease.held && !this.#stopped) await this.#judgeWriter();
    }
    await this.#publish();
  }

  /** Says at "error" when the lease's value stops being believed (and at "info" when it is again). */
  #noteForgery(): void {
    const forgery = this.#lease.held ? this.#lease.forgery : undefined;
    if (forgery === this.#forgery) return;
    if (forgery) this.#log("error", `the writer lease is not to be believed (${forgery}); ${this.id} seals`);
    else this.#log("info", `the writer lease holds a trusted value again`);
    this.#forgery = forgery;
  }

  /** As a standby: is the writer sealing? If the chain says no, take over (unless the writer refused the log). */
  async #judgeWriter(): Promise<void> {
    const { head, logEnd } = this.#standby;
    const holder = this.#lease.holder;
    // Each read has a deadline: a read the server never finishes must not stop the judgment (and so a takeover).
    const verdict = await this.#watch.verdict(
      Date.now(),
      head,
      logEnd,
      holder,
      () => withinBeat(this.#writerRecord(holder), this.#beatMs),
      () => withinBeat(this.#unsignedTail(head), this.#beatMs),
    );
    if (verdict.kind === "sealing") {
      if (this.#watchProblem) this.#log("info", `the chain moves again; ${this.id} stands by`);
      this.#watchProblem = undefined;
      return;
    }
    if (verdict.kind === "refused") {
      if (this.#watchProblem?.reason !== verdict.reason) this.#log("error", verdict.reason);
      this.#watchProblem = {
        code: ErrorCode.AuditSealerStalled,
        reason: verdict.reason,
        since: this.#watchProblem?.since ?? Date.now(),
      };
      return;
    }
    this.#log("error", `${verdict.reason}; ${this.id} takes over`);
    this.#watchProblem = undefined;
    this.#watch.reset();
    try {
      await this.#lease.seize();
    } catch (err) {
      this.#log(
        "info",
        `the writer lease could not be written (${(err as Error).message}); ${this.id} seals without it`,
      );
    }
    await this.#startSealing();
  }

  /** Why the chain's tail goes unsigned by a trusted key, if it does (see query/sealing-progress.ts). */
  async #unsignedTail(head: ChainHead): Promise<string | undefined> {
    const cp = await newestTrustedCheckpoint(this.#store, { mesh: this.#o.mesh, trusted: [...this.#trusted] });
    const firstEventAt = !cp && head.size > 0 ? (await this.#store.link(1))?.storedAt : undefined;
    return signingProgress(head, cp, Date.now(), this.#unsignedAfterMs, firstEventAt);
  }

  async #writerRecord(holder: string | undefined): Promise<SealerSighting | undefined> {
    if (holder === undefined) return undefined;
    return (await readSealerPresence(this.#o.nc, this.#o.mesh, { trusted: this.#trusted })).find(
      (s) => s.id === holder,
    );
  }

  async #startSealing(): Promise<void> {
    if (this.#starting) return;
    this.#starting = true;
    try {
      const tuning = this.#o.sealer ?? {};
      this.#sealer = await startSealer({
        ...tuning,
        nc: this.#o.nc,
        mesh: this.#o.mesh,
        store: this.#store,
        key: this.#o.key,
        ...(this.#o.historyDir !== undefined ? { historyDir: this.#o.historyDir } : {}),
        onError: (err) => this.#onSealerError(err),
        onRecovered: () => this.#log("info", `${this.id} seals normally again`),
        log: (line) => this.#log("info", line),
      });
      this.#startProblem = undefined;
      const s = this.#sealer.stats();
      if (s.state === "running")
        this.#log("info", `${this.id} holds the writer lease and seals; the chain's head is at ${s.head.size}`);
    } catch (err) {
      const final = isPlexusError(err, ErrorCode.AuditFork);
      const reason = (err as Error).message;
      // Said once per distinct reason: a start retried every beat for the same cause does not flood the log.
      if (this.#startProblem?.reason !== reason) {
        this.#log(
          "error",
          `${this.id} could not start sealing: ${reason}${final ? "; not sealing (a fork: restart after repair)" : "; trying again every beat"}`,
        );
      }
      this.#startProblem = {
        code: (err as PlexusError).code ?? ErrorCode.AuditStoreFailed,
        reason,
        since: this.#startProblem?.since ?? Date.now(),
        final,
      };
    } finally {
      this.#starting = false;
    }
  }

  #onSealerError(err: unknown): void {
    const e = err as PlexusError;
    const loud =
      isHistoryRefusal(err) ||
      isPlexusError(err, ErrorCode.AuditFork) ||
      isPlexusError(err, ErrorCode.AuditSealerStalled);
    const tail =
      isHistoryRefusal(err) || isPlexusError(err, ErrorCode.AuditFork)
        ? "; not sealing: repair the streams and restart"
        : "";
    this.#log(loud ? "error" : "info", `${e.message ?? String(err)}${e.code ? ` [${e.code}]` : ""}${tail}`);
  }

  async #readStandby(): Promise<void> {
    try {
      const [head, logEnd] = await Promise.all([this.#store.head(), meshLogEnd(this.#o.nc, this.#o.mesh)]);
      this.#standby = { head, logEnd };
    } catch {
      // No answer: the record shows the last known values (and its age shows when it stops being written).
    }
  }

  async #publish(): Promise<void> {
    const s = this.status();
    const { ready: _ready, writer: _writer, signer: _signer, replication: _replication, ...fields } = s;
    try {
      await publishPresence(this.#kv, signPresence(this.#o.key, { ...fields, at: Date.now() }));
      if (this.#presenceFailed) this.#log("info", `${this.id}: presence record written again`);
      this.#presenceFailed = false;
    } catch (err) {
      if (!this.#presenceFailed)
        this.#log("info", `${this.id} could not write its presence record (${(err as Error).message})`);
      this.#presenceFailed = true;
    }
  }

  #log(level: "info" | "error", line: string): void {
    try {
      this.#o.log?.(level, line);
    } catch {
      // a failing logger must not stop the sealer
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#replication.stop();
    await this.#beating;
    const s = this.#sealer;
    if (s) await s.stop().catch(() => undefined);
    // The last record says how it ended: "stopped", or the final state of a sealer that failed or refused.
    const last = s?.stats();
    this.#sealer = undefined;
    if (last) this.#standby = { head: last.head, logEnd: last.head.size + last.lagEvents };
    await this.#publishStopped(
      last?.state !== undefined && last.state !== "stopped" && last.state !== "running" ? last : undefined,
    );
    await this.#lease.release();
    if (this.#ownStore) await this.#store.close().catch(() => undefined);
  }

  async #publishStopped(failed: ReturnType<Sealer["stats"]> | undefined): Promise<void> {
    const s = this.status();
    const { ready: _ready, writer: _writer, signer: _signer, replication: _replication, ...fields } = s;
    const state: PresenceState = failed ? failed.state : "stopped";
    const problem = failed?.problem ?? fields.problem;
    const { problem: _p, ...rest } = fields;
    await publishPresence(
      this.#kv,
      signPresence(this.#o.key, { ...rest, state, ...(problem ? { problem } : {}), at: Date.now() }),
    ).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** `p`, or undefined when it has not settled within a few beats (at least 5 s). */
function withinBeat<T>(p: Promise<T>, beatMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(5_000, 3 * beatMs))));
  return Promise.race([p.catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
}

function replicationOf(report: ReplicationReport | undefined): { replication?: ReplicationReport } {
  return report ? { replication: report } : {};
}
