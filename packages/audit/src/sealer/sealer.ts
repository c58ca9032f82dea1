/**
 * The sealer: follows the mesh log in order and appends one link per event to the audit chain.
 *
 * Two loops share a queue of computed links. The reader follows the mesh stream with an ordered consumer from the
 * chain's head on and computes each link (h_n from h_{n-1}). The writer appends the queued links with up to `pipeline`
 * appends in flight on the one connection, sent in chunks as room frees up, each with its own expected size (the
 * server applies them in order).
 *
 * Several sealers may run on one mesh. An append that finds its position taken (a conflict) or whose outcome is unknown
 * (an error) makes the writer re-read the chain's size; positions another sealer wrote are then read back and compared
 * with the links this sealer computed for the same events. Equal: carry on after them. Different: the chain forked,
 * reported as AUDIT_FORK through `onError`, and the sealer stops.
 *
 * The sealer trusts the mesh log and the audit streams only while they keep their history and are the streams it saw
 * before (@plexus/bus HistoryGuard: at start, after reconnects, every `historyCheckMs`, 2 s by default so that a
 * replaced log is noticed within seconds; creation times remembered in `historyDir`). A refused stream stops it in
 * state "refused", with the HISTORY_STREAM_* error in `stats().refusal` and through `onError`: it never seals a log that
 * was replaced or cut.
 *
 * It also never stops silently: every `watchMs` (default 1 s) it reads the mesh log's end itself (not only from the
 * reader, which may be the part that stopped) and asks keep-up.ts whether it is stuck or cannot keep up. Then
 * `stats().state` is "stalled" with the reason in `stats().problem`, and the AUDIT_SEALER_STALLED error goes to
 * `onError` once; `onRecovered` when it seals normally again. Refused and failed sealers carry their reason in
 * `problem` too, so whoever publishes the stats (sealer-node.ts) reports every non-ok state with a reason.
 */
import { jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ensureMeshStream, HistoryAnchors, HistoryGuard } from "@plexus/bus";
import { ErrorCode, meshSubjects, orderedConsumerPrefix, PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import { eventHash } from "../chain.js";
import { logEvent, meshLogEnd } from "../store/mesh-log.js";
import { release } from "../store/stream-range.js";
import type { AppendResult, AuditStore, ChainHead, ChainLink } from "../types.js";
import { LinkMaker } from "./link-maker.js";
import { KeepUpJudge, type KeepUpOptions } from "./keep-up.js";
import { CheckpointSchedule } from "./schedule.js";
import { defaultOrigin } from "../note/checkpoint-note.js";
import { TreeKeeper } from "./tree-keeper.js";

export interface SealerOptions {
  nc: NatsConnection;
  mesh: string;
  store: AuditStore;
  /** The registry's key: it signs the checkpoints. */
  key: KeyPair;
  /** Sign a checkpoint after this many new links (default 1000)... */
  checkpointEvery?: number;
  /** ...or after this long when the head moved (ms, default 5000). */
  checkpointIntervalMs?: number;
  /** Appends in flight at once (default 1024). */
  pipeline?: number;
  /**
   * Errors the sealer survives (it retries), and the ones it does not: AUDIT_FORK, and a refused history stream
   * (HISTORY_STREAM_*), after which it has stopped.
   */
  onError?: (err: unknown) => void;
  /** Folder where the streams' creation times are remembered across restarts (default: in memory only). */
  historyDir?: string;
  /** How often the streams are checked again (ms; default 2 s; 0: only at start and after reconnects). */
  historyCheckMs?: number;
  /** How often the sealer reads the log's end and judges whether it keeps up (ms; default 1 s; 0: never). */
  watchMs?: number;
  /** When a running sealer counts as stuck or behind (keep-up.ts). */
  keepUp?: KeepUpOptions;
  /** Called when a stalled sealer seals normally again (the stall itself went to onError). */
  onRecovered?: () => void;
  /** The log's name in checkpoint notes (C2SP tlog-checkpoint origin; default `plexus.mesh/<mesh>`). */
  origin?: string;
  /** Keep the Merkle tree, its tiles and checkpoint notes (default true; false: the hash chain only). */
  merkleTree?: boolean;
}

export interface SealerStats {
  /** Links this sealer appended. */
  sealed: number;
  /** Links read back after a conflict and found equal to this sealer's (mostly another sealer's appends). */
  verified: number;
  /** Appends refused because another writer had taken the position. */
  conflicts: number;
  /** Checkpoints this sealer signed and stored. */
  checkpoints: number;
  /** The chain head this sealer has confirmed (stored, and equal to what it computed). */
  head: ChainHead;
  /** Mesh events seen but not yet confirmed in the chain. */
  lagEvents: number;
  /** "stalled": running, but stuck or behind (see `problem`); "failed" and "refused" are final. */
  state: "running" | "stalled" | "stopped" | "failed" | "refused";
  /** Why a history stream was refused (state "refused"): its HISTORY_STREAM_* code, the stream, the reason. */
  refusal?: { code: string; stream: string; reason: string };
  /** Why the sealer is not sealing as it should (states "stalled", "failed", "refused"): a stable code, words, since when. */
  problem?: SealerProblem;
}

export interface SealerProblem {
  code: string;
  reason: string;
  /** Epoch ms when it began. */
  since: number;
}

export interface Sealer extends AsyncDisposable {
  /** Resolves when the chain covers the mesh log as it is when called; rejects if the sealer stops or fails first. */
  caughtUp(): Promise<void>;
  stats(): SealerStats;
  /** Finishes the appends in flight, signs a last checkpoint if the head moved, and stops. */
  stop(): Promise<void>;
}

const DEFAULT_PIPELINE = 1_024;
/** The append window goes out in this many chunks (see #append). */
const CHUNKS_IN_FLIGHT = 4;
/**
 * The reader computes links at most this many pipelines ahead of the chain, and goes on when half of that is left.
 * Enough to keep the appends fed; more only keeps links (and the events they came from) alive longer.
 */
const READ_AHEAD = 2;
/**
 * Events the reader asks the server for at once (the client asks for more at half of it). Smaller than the verifier's
 * READ_BATCH: the sealer's reads share the connection with its appends, and an append's ack arrives behind the events
 * already on their way; more only buffers.
 */
const SEAL_READ_BATCH = 1_024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The sealer checks its history streams this often by default: a replaced log is noticed within seconds. */
export const DEFAULT_SEALER_HISTORY_CHECK_MS = 2_000;
const DEFAULT_WATCH_MS = 1_000;

/** Starts sealing `mesh` into `store`. Checks first that the chain's head seals the mesh event at its position. */
export async function startSealer(options: SealerOptions): Promise<Sealer> {
  await ensureMeshStream(options.nc, options.mesh);
  // Read first, as before the guard existed: sealers started together see the same head (and race for its positions).
  const head = await options.store.head();
  let sealer: SealerImpl | undefined;
  const guard = new HistoryGuard({
    nc: options.nc,
    streams: guardedStreams(options),
    anchors: new HistoryAnchors(options.historyDir),
    intervalMs: options.historyCheckMs ?? DEFAULT_SEALER_HISTORY_CHECK_MS,
    onRefused: (refusal) => sealer?.refuse(refusal),
  });
  const refusal = await guard.check();
  if (refusal) {
    // Started, but refusing: nothing is read or sealed; stats() and caughtUp() say why.
    sealer = new SealerImpl(options, { size: 0, hash: "" }, guard, TreeKeeper.idle(options.store));
    sealer.refuse(refusal);
    return sealer;
  }
  await checkHeadAgainstLog(options, head);
  const tree = options.merkleTree === false ? TreeKeeper.off(options.store) : await TreeKeeper.open(options.nc, options.mesh, options.store, head.size, options.key.did);
  sealer = new SealerImpl(options, head, guard, tree);
  sealer.start();
  const late = await guard.start();
  if (late) sealer.refuse(late);
  return sealer;
}

/** The mesh log, and the audit streams when the store keeps the chain in JetStream. */
function guardedStreams(o: SealerOptions): string[] {
  const names = (o.store as { names?: { chainStream?: string; checkpointStream?: string } }).names;
  const audit = o.store.backend === "jetstream" && names?.chainStream && names.checkpointStream ? [names.chainStream, names.checkpointStream] : [];
  return [meshSubjects(o.mesh).stream, ...audit];
}

async function checkHeadAgainstLog(o: SealerOptions, head: ChainHead): Promise<void> {
  if (head.size === 0) return;
  const jsm = await jetstreamManager(o.nc);
  const [link, event] = await Promise.all([o.store.link(head.size), jsm.streams.getMessage(meshSubjects(o.mesh).stream, { seq: head.size })]);
  if (!event || !link || link.hash !== head.hash || link.event !== eventHash(event.subject, event.data)) {
    throw forkError(head.size, "the chain's head does not seal the mesh event at its position", { stored: link?.hash, logHasEvent: !!event });
  }
}

function forkError(position: number, what: string, details: Record<string, unknown> = {}): PlexusError {
  return new PlexusError(ErrorCode.AuditFork, `audit chain fork at position ${position}: ${what}`, { details: { position, ...details } });
}

class SealerImpl implements Sealer {
  readonly #o: SealerOptions;
  readonly #pipeline: number;
  readonly #stats: Omit<SealerStats, "head" | "lagEvents" | "state"> = { sealed: 0, verified: 0, conflicts: 0, checkpoints: 0 };
  readonly #checkpoints: CheckpointSchedule;
  /** Computed links not yet confirmed, in position order. */
  readonly #pending: ChainLink[] = [];
  readonly #waiters: { target: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #confirmed: ChainHead;
  /** The chain is known to hold at least this many links (another sealer may be ahead of this one). */
  #known: number;
  /** Computes the links, from the head of the chain on. */
  readonly #links: LinkMaker;
  #next: number;
  #logEnd: number;
  #state: SealerStats["state"] = "running";
  #failure: unknown;
  #wake: (() => void) | undefined;
  /** The reader waits for this when it is `#readAhead` links ahead of the chain; called when half of that is left. */
  #room: (() => void) | undefined;
  readonly #readAhead: number;
  #reading: { consumer: Consumer; messages: ConsumerMessages } | undefined;
  #loops: Promise<unknown> | undefined;
  #stopped: Promise<void> | undefined;
  readonly #guard: HistoryGuard;
  #refusal: PlexusError | undefined;
  /** When the sealer failed or was refused (for `problem.since`). */
  #failedAt = 0;
  readonly #judge: KeepUpJudge;
  #watch: NodeJS.Timeout | undefined;
  #watching = false;
  #jsm: Promise<JetStreamManager> | undefined;
  /** The current stall of a running sealer (stuck or behind), if any. */
  #stall: SealerProblem | undefined;
  /** The Merkle tree over the confirmed positions (tree-keeper.ts). */
  readonly #tree: TreeKeeper;

  constructor(o: SealerOptions, head: ChainHead, guard: HistoryGuard, tree: TreeKeeper) {
    this.#o = o;
    this.#guard = guard;
    this.#tree = tree;
    this.#pipeline = Math.max(1, o.pipeline ?? DEFAULT_PIPELINE);
    this.#readAhead = this.#pipeline * READ_AHEAD;
    this.#confirmed = head;
    this.#known = head.size;
    this.#links = new LinkMaker(head.hash, tree.resumedBy !== "off");
    this.#next = head.size + 1;
    this.#logEnd = head.size;
    this.#judge = new KeepUpJudge(o.keepUp);
    this.#checkpoints = new CheckpointSchedule({
      store: o.store,
      key: o.key,
      every: o.checkpointEvery ?? 1_000,
      intervalMs: o.checkpointIntervalMs ?? 5_000,
      head: () => this.#confirmed,
      onStored: () => void this.#stats.checkpoints++,
      onError: (err) => this.#report(err),
      ...(tree.resumedBy !== "off" ? { tree } : {}),
      origin: o.origin ?? defaultOrigin(o.mesh),
    });
  }

  start(): void {
    this.#checkpoints.start();
    this.#loops = Promise.all([this.#readLoop(), this.#writeLoop()]);
    const every = this.#o.watchMs ?? DEFAULT_WATCH_MS;
    if (every > 0) {
      this.#watch = setInterval(() => void this.#judgeProgress(), every);
      this.#watch.unref();
    }
  }

  /** Reads the log's end (the reader may be what stopped) and judges whether the sealer keeps up. */
  async #judgeProgress(): Promise<void> {
    if (this.#watching || this.#state !== "running") return;
    this.#watching = true;
    try {
      const jsm = await (this.#jsm ??= jetstreamManager(this.#o.nc, { checkAPI: false }));
      this.#logEnd = Math.max(this.#logEnd, (await jsm.streams.info(meshSubjects(this.#o.mesh).stream)).state.last_seq);
    } catch {
      // No answer (a disconnect, a missing stream): judged on what is known; the guard reports a missing stream.
    } finally {
      this.#watching = false;
    }
    if (this.#state !== "running") return;
    const stall = this.#judge.sample(Date.now(), this.#confirmed.size, this.#logEnd);
    if (stall && !this.#stall) {
      this.#stall = { code: ErrorCode.AuditSealerStalled, reason: stall.reason, since: Date.now() };
      this.#report(new PlexusError(ErrorCode.AuditSealerStalled, `the sealer is stalled: ${stall.reason}`, { details: { kind: stall.kind, reason: stall.reason, lag: stall.lag } }));
    } else if (stall && this.#stall) {
      this.#stall.reason = stall.reason;
    } else if (!stall && this.#stall) {
      this.#stall = undefined;
      try {
        this.#o.onRecovered?.();
      } catch {
        // a failing handler must not stop the sealer
      }
    }
  }

  #stopWatch(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
  }

  stats(): SealerStats {
    const head = { ...this.#confirmed };
    const refusal = this.#refusal;
    const d = refusal?.details ?? {};
    const problem = this.#problem();
    return {
      ...this.#stats,
      head,
      lagEvents: Math.max(0, this.#logEnd - head.size),
      state: this.#state === "running" && this.#stall ? "stalled" : this.#state,
      ...(refusal ? { refusal: { code: refusal.code, stream: String(d["stream"] ?? ""), reason: String(d["reason"] ?? refusal.message) } } : {}),
      ...(problem ? { problem } : {}),
    };
  }

  #problem(): SealerProblem | undefined {
    if (this.#state === "running") return this.#stall && { ...this.#stall };
    const err = this.#refusal ?? (this.#state === "failed" ? this.#failure : undefined);
    if (err === undefined) return undefined;
    const code = (err as PlexusError).code ?? ErrorCode.AuditStoreFailed;
    const reason = String((err as PlexusError).details?.["reason"] ?? (err as Error).message ?? err);
    return { code, reason, since: this.#failedAt };
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
    this.#stopWatch();
    this.#guard.stop();
    this.#stopReading();
    this.#wake?.();
    this.#makeRoom();
    await this.#loops;
    await this.#checkpoints.stop(this.#state === "stopped");
    this.#rejectWaiters(this.#failure ?? closedError());
  }

  // ---- reader: the mesh log in order, one computed link per event ----

  async #readLoop(): Promise<void> {
    const js = jetstream(this.#o.nc);
    const stream = meshSubjects(this.#o.mesh).stream;
    let pause = 100;
    while (this.#state === "running") {
      try {
        const consumer = await js.consumers.get(stream, { opt_start_seq: this.#next, name_prefix: orderedConsumerPrefix() });
        const messages = await consumer.consume({ max_messages: SEAL_READ_BATCH });
        this.#reading = { consumer, messages };
        if (this.#state !== "running") break;
        for await (const m of messages) {
          const event = logEvent(m);
          if (event.n !== this.#next) {
            // Sequences of the mesh stream never skip or restart unless the stream itself was deleted and recreated.
            this.#fail(new PlexusError(ErrorCode.AuditStoreFailed, `the mesh log jumped from ${this.#next - 1} to ${event.n}`, { details: { position: this.#next } }));
            break;
          }
          this.#logEnd = Math.max(this.#logEnd, event.n + m.info.pending);
          const link = this.#links.next(event);
          this.#next++;
          this.#pending.push(link);
          this.#wake?.();
          if (this.#pending.length >= this.#readAhead && this.#state === "running") {
            // Made room for by #confirm, or by #shutdown / #fail (which change the state first, so a reader that gets
            // here after them does not wait).
            await new Promise<void>((resolve) => (this.#room = resolve));
          }
          if (this.#state !== "running") break;
        }
        pause = 100;
      } catch (err) {
        if (this.#state !== "running") break;
        this.#report(err);
        await sleep(pause);
        pause = Math.min(pause * 2, 5_000);
      } finally {
        this.#stopReading();
      }
    }
  }

  #stopReading(): void {
    const reading = this.#reading;
    this.#reading = undefined;
    if (reading) void release(reading.consumer, reading.messages);
  }

  // ---- writer: pipelined appends, reconciliation after conflicts ----

  async #writeLoop(): Promise<void> {
    let pause = 50;
    while (this.#state === "running") {
      if (this.#pending.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      try {
        const settled = this.#pending[0]!.n <= this.#known ? await this.#verify(this.#pending.slice(0, this.#pipeline)) : await this.#append();
        if (settled) pause = 50;
        else {
          await sleep(pause);
          pause = Math.min(pause * 2, 2_000);
        }
      } catch (err) {
        if ((err as PlexusError).code === ErrorCode.AuditFork) return this.#fail(err);
        this.#report(err);
        await sleep(pause);
        pause = Math.min(pause * 2, 2_000);
      }
    }
  }

  /**
   * Appends the pending links, each with its own expected size, with up to `pipeline` appends in flight. They go out
   * in chunks of a quarter of that (each chunk one burst of publishes), and a chunk is sent as soon as the window has
   * room for it, so the server is storing one chunk while the sealer takes the answers to the one before and sends the
   * next. Answers are taken in order. Returns when nothing is left to send and all is answered, or when the sealer
   * stops (after the appends in flight), or at the first append that did not succeed: then, once every append sent
   * has its answer, it re-reads the chain's size. False when an append failed with an error (the caller backs off).
   */
  async #append(): Promise<boolean> {
    const chunk = Math.max(1, Math.ceil(this.#pipeline / CHUNKS_IN_FLIGHT));
    const inFlight: { batch: ChainLink[]; results: Promise<PromiseSettledResult<AppendResult>[]> }[] = [];
    let sending = 0;
    /** Index in #pending of the first link not sent yet (links before it are in flight). */
    let unsent = 0;
    try {
      for (;;) {
        while (this.#state === "running" && sending < this.#pipeline && unsent < this.#pending.length) {
          const batch = this.#pending.slice(unsent, unsent + Math.min(chunk, this.#pipeline - sending));
          inFlight.push({ batch, results: this.#appendAll(batch) });
          unsent += batch.length;
          sending += batch.length;
        }
        const next = inFlight.shift();
        if (!next) return true;
        const results = await next.results;
        sending -= next.batch.length;
        let done = 0;
        while (done < results.length && isOk(results[done]!)) done++;
        this.#stats.sealed += done;
        this.#confirm(next.batch, done);
        unsent -= done;
        if (done === results.length) continue;
        // Some position is taken, or an outcome is unknown: with every append sent answered, find out how far the
        // chain really goes. (Appends sent after the failed one are not counted as sealed even when they succeeded:
        // the next round reads them back.)
        for (const later of inFlight.splice(0)) results.push(...(await later.results));
        this.#stats.conflicts += results.filter((r) => r.status === "fulfilled" && !r.value.ok).length;
        const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failure) this.#report(failure.reason);
        this.#known = Math.max(this.#known, (await this.#o.store.head()).size);
        return failure === undefined;
      }
    } finally {
      // Should anything throw, no append is left unanswered behind the caller's next round.
      await Promise.all(inFlight.map((c) => c.results));
    }
  }

  /** One chunk of appends, each link at its own position; settles when each has its answer. */
  #appendAll(batch: ChainLink[]): Promise<PromiseSettledResult<AppendResult>[]> {
    const store = this.#o.store;
    return hasAppendAll(store) ? store.appendAll(batch) : Promise.allSettled(batch.map((link) => store.append(link, link.n - 1)));
  }

  /** Compares links of this batch that the chain already holds with what is stored. */
  async #verify(batch: ChainLink[]): Promise<boolean> {
    const mine = batch.filter((l) => l.n <= this.#known);
    const last = mine[mine.length - 1]!;
    let checked = 0;
    for await (const stored of this.#o.store.links(mine[0]!.n, last.n)) {
      const own = mine[checked];
      if (!own) break;
      if (stored.n !== own.n || stored.event !== own.event || stored.hash !== own.hash) {
        throw forkError(own.n, "another writer stored a different link", { stored: stored.hash, computed: own.hash });
      }
      checked++;
    }
    this.#stats.verified += checked;
    this.#confirm(batch, checked);
    // Fewer than expected: the chain is shorter than believed (it cannot shrink: a stale size), so append the rest.
    if (checked < mine.length) this.#known = this.#confirmed.size;
    return true;
  }

  #confirm(batch: ChainLink[], count: number): void {
    if (count === 0) return;
    const last = batch[count - 1]!;
    this.#tree.confirm(batch, count);
    this.#pending.splice(0, count);
    if (this.#room && this.#pending.length <= this.#readAhead / 2) this.#makeRoom();
    this.#confirmed = { size: last.n, hash: last.hash };
    this.#known = Math.max(this.#known, last.n);
    this.#checkpoints.headMoved();
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.target <= last.n) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  // ---- failure and errors ----

  #fail(err: unknown): void {
    this.#state = "failed";
    this.#failedAt = Date.now();
    this.#stopWatch();
    this.#failure = err;
    this.#report(err);
    this.#stopReading();
    this.#wake?.();
    this.#makeRoom();
    this.#rejectWaiters(err);
  }

  #makeRoom(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
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

/**
 * A store that appends a batch in one call with the outcome `Promise.allSettled` of one `append(link, link.n - 1)` per
 * link would give (the JetStream store: one promise for the batch instead of three per link).
 */
interface BatchAppender {
  appendAll(links: readonly ChainLink[]): Promise<PromiseSettledResult<AppendResult>[]>;
}

function hasAppendAll(store: AuditStore): store is AuditStore & BatchAppender {
  return typeof (store as Partial<BatchAppender>).appendAll === "function";
}

function isOk(r: PromiseSettledResult<{ ok: boolean }>): boolean {
  return r.status === "fulfilled" && r.value.ok;
}

function closedError(): PlexusError {
  return new PlexusError(ErrorCode.Closed, "the sealer was stopped");
}
