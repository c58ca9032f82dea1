/**
 * A watch of the heartbeat bucket that keeps going. `kv.watch()` on a cluster can freeze through a leader change (a
 * registry's watch was seen silent ~21 s while agents beat, issue 14) or end with an error; the connection can drop.
 * So every `checkMs` the bucket's last revision is read (stream info): if it is ahead of what the watch delivered
 * and nothing came for `stallMs`, or the watch ended, or the connection came back from a disconnect, the watch is
 * started again (it delivers each key's latest value first, so nothing is missed). From the moment the registry could
 * not read (a stall noticed, a disconnect, a failed reading) until a new watch has read the bucket, it is "lost":
 * the liveness monitor judges nobody in that time (excuses.ts).
 */
import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

export interface BucketWatchOptions {
  nc: NatsConnection;
  kv: KV;
  onEntry: (entry: KvWatchEntry) => void;
  /** The registry cannot read the bucket from `at` (first moment noticed). */
  onLost: (at: number, reason: string) => void;
  /** A new watch has read the bucket's current values at `at`. */
  onRecovered: (at: number) => void;
  onError?: (err: unknown) => void;
  /** Default 1 s. */
  checkMs?: number;
  /** Default 3 s. */
  stallMs?: number;
}

type Watch = AsyncIterable<KvWatchEntry> & { stop(): void };

export class BucketWatch {
  readonly #o: BucketWatchOptions;
  #watch: Watch | undefined;
  #watching: Promise<void> | undefined;
  #generation = 0;
  #seen = 0;
  #movedAt = Date.now();
  #ended = false;
  #lost = false;
  #stopped = false;
  #checking = false;
  #timer: NodeJS.Timeout | undefined;
  #restarts = 0;

  constructor(options: BucketWatchOptions) {
    this.#o = options;
  }

  /** Times the watch was started again. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Resolves once the values stored before the start have been read. */
  async start(): Promise<void> {
    await this.#begin();
    this.#timer = setInterval(() => void this.#check(), this.#o.checkMs ?? 1_000);
    this.#timer.unref();
    void this.#statuses();
  }

  /** A new watch; resolves when it has read up to the bucket's last revision as it stood before. */
  async #begin(limitMs = 0): Promise<void> {
    const stored = (await this.#o.kv.status()).streamInfo.state.last_seq;
    const generation = ++this.#generation;
    const watch = (await this.#o.kv.watch()) as Watch;
    this.#watch = watch;
    this.#ended = false;
    this.#movedAt = Date.now();
    let caughtUp!: () => void;
    const initial = new Promise<void>((resolve) => (caughtUp = resolve));
    if (stored === 0) caughtUp();
    this.#watching = (async () => {
      try {
        for await (const entry of watch) {
          if (generation !== this.#generation) break;
          this.#movedAt = Date.now();
          if (entry.revision > this.#seen) this.#seen = entry.revision;
          this.#o.onEntry(entry);
          if (entry.revision >= stored) caughtUp();
        }
      } catch (err) {
        if (!this.#stopped && generation === this.#generation) this.#o.onError?.(err);
      } finally {
        if (generation === this.#generation) this.#ended = true;
        caughtUp();
      }
    })();
    // A watch that freezes before it has read the bucket is given up (the next check tries a new one).
    if (limitMs === 0) return initial;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the new heartbeat watch did not read the bucket in time")), limitMs);
    });
    try {
      await Promise.race([initial, timeout]);
    } catch (err) {
      if (this.#generation === generation) this.#generation += 1;
      watch.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #lose(reason: string): void {
    if (!this.#lost) this.#o.onLost(Date.now(), reason);
    this.#lost = true;
  }

  /** Disconnects make the registry blind at once; a reconnect starts a new watch at the next check. */
  async #statuses(): Promise<void> {
    for await (const s of this.#o.nc.status()) {
      if (this.#stopped) return;
      if (s.type === "disconnect" || s.type === "reconnecting") this.#lose("disconnected from NATS");
      if (s.type === "reconnect") this.#ended = true;
    }
  }

  async #check(): Promise<void> {
    if (this.#checking || this.#stopped) return;
    this.#checking = true;
    try {
      const last = (await this.#o.kv.status()).streamInfo.state.last_seq;
      const now = Date.now();
      const stalled = last > this.#seen && now - this.#movedAt >= (this.#o.stallMs ?? 3_000);
      if (!stalled && !this.#ended) {
        if (this.#lost) await this.#restart();
        else if (last <= this.#seen) this.#movedAt = now;
        return;
      }
      this.#lose(this.#ended ? "the heartbeat watch ended" : "the heartbeat watch stalled");
      await this.#restart();
    } catch (err) {
      // JetStream unavailable (no leader for the bucket, a server restarting): blind until a reading works again.
      this.#lose(`JetStream unavailable: ${(err as Error).message}`);
    } finally {
      this.#checking = false;
    }
  }

  async #restart(): Promise<void> {
    this.#restarts += 1;
    this.#generation += 1;
    this.#watch?.stop();
    await this.#begin(10_000);
    if (this.#stopped) return;
    this.#lost = false;
    this.#o.onRecovered(Date.now());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#watch?.stop();
    await this.#watching;
  }
}
