/**
 * The guard every long-running node (registry node, sealer, gateway) keeps over the history streams it depends on.
 * It checks at start, after every reconnect (the server may have been restarted on other data, or the stream replaced
 * while this node was away) and every `intervalMs` (a stream replaced while the node stayed connected):
 * - the stream exists (HISTORY_STREAM_MISSING),
 * - its settings keep all history and its state shows none lost (check.ts: WEAKENED, TRUNCATED),
 * - it is the stream this node saw before (anchors.ts: RECREATED).
 * A refusal is final for the life of the guard: the node says so (`refusal`, `onRefused`) and stops following a log it
 * can no longer trust; an operator repairs the stream and restarts the node. Nothing is followed silently.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, type PlexusError } from "@plexus/core";
import { HistoryAnchors } from "./anchors.js";
import { checkHistoryStream, historyRefusal, weakenedSettings } from "./check.js";

export interface HistoryGuardOptions {
  nc: NatsConnection;
  /** The history streams this node depends on (see historyStreamNames). */
  streams: readonly string[];
  /** Where the creation times are remembered (default: in memory, for this guard's life). */
  anchors?: HistoryAnchors;
  /** Checks again this often (ms; default 60 s; 0: only at start and after reconnects). */
  intervalMs?: number;
  /** Called once, with the refusal, when a check after start refuses a stream. */
  onRefused?: (refusal: PlexusError) => void;
}

export const DEFAULT_HISTORY_CHECK_MS = 60_000;

/** nats.js's status iterator can be stopped (it then leaves the connection's listeners). */
type Stoppable = { stop?: () => void };

export class HistoryGuard {
  readonly #o: HistoryGuardOptions;
  readonly #anchors: HistoryAnchors;
  #jsm: Promise<JetStreamManager> | undefined;
  #refusal: PlexusError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #reported = false;
  #checking: Promise<PlexusError | undefined> | undefined;
  #statuses: Stoppable | undefined;

  constructor(options: HistoryGuardOptions) {
    this.#o = options;
    this.#anchors = options.anchors ?? new HistoryAnchors();
  }

  /**
   * Checks once now, then watches reconnects and the interval. Resolves with the refusal, if any; throws only when the
   * server cannot answer.
   */
  async start(): Promise<PlexusError | undefined> {
    const refusal = await this.check();
    if (refusal || this.#stopped) return refusal;
    void this.#watchReconnects();
    const every = this.#o.intervalMs ?? DEFAULT_HISTORY_CHECK_MS;
    if (every > 0) {
      this.#timer = setInterval(() => void this.#recheck(), every);
      this.#timer.unref();
    }
    return undefined;
  }

  /** The refusal that stopped this node, if any. */
  get refusal(): PlexusError | undefined {
    return this.#refusal;
  }

  /** Checks every stream now; once refused, stays refused. A check the server could not answer is no verdict. */
  check(): Promise<PlexusError | undefined> {
    if (this.#refusal) return Promise.resolve(this.#refusal);
    this.#checking ??= this.#checkAll().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#statuses?.stop?.();
  }

  async #recheck(): Promise<void> {
    if (this.#stopped || this.#refusal) return;
    try {
      const refusal = await this.check();
      // Two rechecks (a reconnect during a tick) share one check: the refusal is reported once.
      if (refusal && !this.#stopped && !this.#reported) {
        this.#reported = true;
        this.#o.onRefused?.(refusal);
      }
    } catch {
      // The server did not answer (a disconnect): the next reconnect or tick checks again.
    }
    if (this.#refusal) this.stop();
  }

  async #watchReconnects(): Promise<void> {
    const statuses = this.#o.nc.status();
    this.#statuses = statuses as Stoppable;
    try {
      for await (const s of statuses) {
        if (this.#stopped || this.#refusal) break;
        if (s.type === "reconnect") await this.#recheck();
      }
    } catch {
      // The connection closed: nothing left to watch.
    }
  }

  async #checkAll(): Promise<PlexusError | undefined> {
    const jsm = await (this.#jsm ??= jetstreamManager(this.#o.nc, { checkAPI: false }));
    for (const stream of this.#o.streams) {
      const refusal = await this.#checkOne(jsm, stream);
      if (refusal) {
        this.#refusal = refusal;
        return refusal;
      }
    }
    return undefined;
  }

  async #checkOne(jsm: JetStreamManager, stream: string): Promise<PlexusError | undefined> {
    let info;
    try {
      info = await jsm.streams.info(stream);
    } catch (err) {
      if ((err as { name?: string }).name === "StreamNotFoundError")
        return historyRefusal(ErrorCode.HistoryStreamMissing, stream, "the stream does not exist");
      throw err;
    }
    const bad = checkHistoryStream(info);
    if (bad) return bad;
    const match = await this.#anchors.match(stream, info.created);
    if (match === "new" || match === "same") return undefined;
    return historyRefusal(
      ErrorCode.HistoryStreamRecreated,
      stream,
      `it was created at ${info.created}, not at ${match.remembered.created} as when this node first saw it on ${match.remembered.firstSeen} (deleted and created again)` +
        (this.#anchors.file ? `; if that was on purpose, remove ${this.#anchors.file} and restart` : ""),
      { created: info.created, remembered: match.remembered.created },
    );
  }
}

/** Checks `streams` once (a one-shot command): the first refusal, or undefined. Throws only when the server fails. */
export async function checkHistoryStreams(
  nc: NatsConnection,
  streams: readonly string[],
  anchors?: HistoryAnchors,
): Promise<PlexusError | undefined> {
  const guard = new HistoryGuard({ nc, streams, ...(anchors ? { anchors } : {}), intervalMs: 0 });
  return guard.check();
}

/** The streams among `streams` whose settings would let history go, with those settings (missing ones are skipped). */
export async function weakenedHistoryStreams(
  nc: NatsConnection,
  streams: readonly string[],
): Promise<{ stream: string; settings: string[] }[]> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const found: { stream: string; settings: string[] }[] = [];
  for (const stream of streams) {
    const info = await jsm.streams.info(stream).catch((err: unknown) => {
      if ((err as { name?: string }).name === "StreamNotFoundError") return undefined;
      throw err;
    });
    const settings = info ? weakenedSettings(info) : [];
    if (settings.length > 0) found.push({ stream, settings });
  }
  return found;
}
