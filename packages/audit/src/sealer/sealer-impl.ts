/**
 * A running sealer: ties the reader (reader.ts: mesh log → computed links), the writer (writer.ts: optimistic appends,
 * reconciliation after conflicts), the checkpoint schedule (schedule.ts), the Merkle tree (tree-keeper.ts) and the
 * stall watch (stall-watch.ts) together; holds the confirmed head, the counters and the state, and answers `stats()`,
 * `caughtUp()` and `stop()`. A refused history stream or a failure stops it for good, with its reason in `problem`.
 */
import type { PlexusError } from "@plexus/core";
import type { HistoryGuard } from "@plexus/bus";
import { meshLogEnd } from "../store/mesh-log.js";
import type { ChainHead, ChainLink } from "../types.js";
import { defaultOrigin } from "../note/checkpoint-note.js";
import { closedError } from "./errors.js";
import { sealerProblem, refusalOf } from "./problem.js";
import { LogReader } from "./reader.js";
import { CheckpointSchedule, DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_INTERVAL_MS } from "./schedule.js";
import { DEFAULT_WATCH_MS, StallWatch } from "./stall-watch.js";
import type { TreeKeeper } from "./tree-keeper.js";
import type { Sealer, SealerOptions, SealerStats } from "./types.js";
import { ChainWriter } from "./writer.js";

const DEFAULT_PIPELINE = 1_024;
/**
 * The reader computes links at most this many pipelines ahead of the chain, and goes on when half of that is left.
 * Enough to keep the appends fed; more only keeps links (and the events they came from) alive longer.
 */
const READ_AHEAD = 2;

export class SealerImpl implements Sealer {
  readonly #o: SealerOptions;
  readonly #stats: Omit<SealerStats, "head" | "lagEvents" | "state"> = {
    sealed: 0,
    verified: 0,
    conflicts: 0,
    checkpoints: 0,
  };
  readonly #checkpoints: CheckpointSchedule;
  /** Computed links not yet confirmed, in position order. */
  readonly #pending: ChainLink[] = [];
  readonly #waiters: { target: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #confirmed: ChainHead;
  #logEnd: number;
  #state: SealerStats["state"] = "running";
  #failure: unknown;
  readonly #reader: LogReader;
  readonly #writer: ChainWriter;
  readonly #watch: StallWatch;
  #loops: Promise<unknown> | undefined;
  #stopped: Promise<void> | undefined;
  readonly #guard: HistoryGuard;
  #refusal: PlexusError | undefined;
  /** When the sealer failed or was refused (for `problem.since`). */
  #failedAt = 0;
  /** The Merkle tree over the confirmed positions (tree-keeper.ts). */
  readonly #tree: TreeKeeper;

  constructor(o: SealerOptions, head: ChainHead, guard: HistoryGuard, tree: TreeKeeper) {
    this.#o = o;
    this.#guard = guard;
    this.#tree = tree;
    const pipeline = Math.max(1, o.pipeline ?? DEFAULT_PIPELINE);
    this.#confirmed = head;
    this.#logEnd = head.size;
    const running = () => this.#state === "running";
    const report = (err: unknown) => this.#report(err);
    const fail = (err: unknown) => this.#fail(err);
    const raiseLogEnd = (end: number) => void (this.#logEnd = Math.max(this.#logEnd, end));
    this.#reader = new LogReader(
      {
        nc: o.nc,
        mesh: o.mesh,
        pending: this.#pending,
        running,
        raiseLogEnd,
        wakeWriter: () => this.#writer.wake(),
        fail,
        report,
        ...(o.log ? { log: o.log } : {}),
      },
      head,
      pipeline * READ_AHEAD,
      tree.resumedBy !== "off",
    );
    this.#writer = new ChainWriter(
      {
        store: o.store,
        pipeline,
        pending: this.#pending,
        counts: this.#stats,
        running,
        confirmedSize: () => this.#confirmed.size,
        confirm: (batch, count) => this.#confirm(batch, count),
        fail,
        report,
      },
      head.size,
    );
    this.#watch = new StallWatch({
      nc: o.nc,
      mesh: o.mesh,
      ...(o.keepUp ? { keepUp: o.keepUp } : {}),
      ...(o.onRecovered ? { onRecovered: o.onRecovered } : {}),
      running,
      confirmedSize: () => this.#confirmed.size,
      logEnd: () => this.#logEnd,
      raiseLogEnd,
      sawLogEnd: (end) => this.#reader.watch(end),
      report,
    });
    this.#checkpoints = new CheckpointSchedule({
      store: o.store,
      key: o.key,
      every: o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
      intervalMs: o.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      head: () => this.#confirmed,
      onStored: () => void this.#stats.checkpoints++,
      onError: (err) => this.#report(err),
      ...(tree.resumedBy !== "off" ? { tree } : {}),
      origin: o.origin ?? defaultOrigin(o.mesh),
    });
  }

  start(): void {
    this.#checkpoints.start();
    this.#loops = Promise.all([this.#reader.run(), this.#writer.run()]);
    this.#watch.start(this.#o.watchMs ?? DEFAULT_WATCH_MS);
  }

  stats(): SealerStats {
    const head = { ...this.#confirmed };
    const refusal = this.#refusal;
    const problem = sealerProblem({
      state: this.#state,
      stall: this.#watch.stall,
      refusal,
      failure: this.#failure,
      failedAt: this.#failedAt,
    });
    return {
      ...this.#stats,
      head,
      lagEvents: Math.max(0, this.#logEnd - head.size),
      state: this.#state === "running" && this.#watch.stall ? "stalled" : this.#state,
      ...(refusal ? { refusal: refusalOf(refusal) } : {}),
      ...(problem ? { problem } : {}),
    };
  }

  /** Stops sealing for good because a history stream can no longer be trusted (reported through onError). */
  refuse(refusal: PlexusError): void {
    if (this.#state !== "running") return;
    this.#refusal = refusal;
    this.#guard.stop();
    this.#fail(refusal);
    this.#state = "refused";
  }

  async caughtUp(): Promise<void> {
    if (this.#refusal) throw this.#refusal;
    const end = await meshLogEnd(this.#o.nc, this.#o.mesh);
    this.#logEnd = Math.max(this.#logEnd, end);
    if (this.#confirmed.size >= end) return;
    if (this.#state !== "running") throw this.#failure ?? closedError();
    return new Promise((resolve, reject) => this.#waiters.push({ target: end, resolve, reject }));
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #shutdown(): Promise<void> {
    if (this.#state === "running") this.#state = "stopped";
    this.#watch.stop();
    this.#guard.stop();
    this.#reader.stop();
    this.#writer.wake();
    this.#reader.makeRoom();
    await this.#loops;
    await this.#checkpoints.stop(this.#state === "stopped");
    this.#rejectWaiters(this.#failure ?? closedError());
  }

  #confirm(batch: ChainLink[], count: number): void {
    if (count === 0) return;
    const last = batch[count - 1]!;
    this.#tree.confirm(batch, count);
    this.#pending.splice(0, count);
    this.#reader.roomFreed();
    this.#confirmed = { size: last.n, hash: last.hash };
    this.#writer.noteConfirmed(last.n);
    this.#checkpoints.headMoved();
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.target <= last.n) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  #fail(err: unknown): void {
    this.#state = "failed";
    this.#failedAt = Date.now();
    this.#watch.stop();
    this.#failure = err;
    this.#report(err);
    this.#reader.stop();
    this.#writer.wake();
    this.#reader.makeRoom();
    this.#rejectWaiters(err);
  }

  #rejectWaiters(err: unknown): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  #report(err: unknown): void {
    try {
      this.#o.onError?.(err);
    } catch {
      // a failing error handler must not stop the sealer
    }
  }
}
