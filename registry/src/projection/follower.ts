import type { ConsumerMessages, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { ErrorCode, PlexusError } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import { publicKeyFromDid } from "@plexus/identity";
import { sharedCryptoPool, type CryptoPool } from "@plexus/identity/internal";
import { LagMeter, type FollowerLag } from "./follower-lag.js";
import { Projector, type Prepared } from "./projector.js";

/** Registry events and messages whose signatures may be in flight at once. */
export const MAX_VERIFYING = 4_096;

interface Pending {
  p: Prepared;
  /** undefined while the signature is being checked. */
  ok: boolean | undefined;
}

/** Messages asked for at once while following the log (rebuilds read millions). */
export const FOLLOW_BATCH = 4_096;

export interface FollowerOptions {
  js: JetStreamClient;
  stream: string;
  projector: Projector;
  /** The stream's last sequence when the node started: the node is ready once it has applied that far. */
  startEnd: number;
  onError?: (err: unknown) => void;
  /** Reads the log's end for the watchdog (stream info); without it there is no watchdog. */
  jsm?: JetStreamManager;
  /** How often the watchdog reads the log's end (default 1 s). */
  checkMs?: number;
  /** Behind the end with nothing read for this long: the consumer is recreated (default 3 s). */
  stallMs?: number;
  /** One line for people: the watchdog's restarts. */
  log?: (line: string) => void;
}

export const DEFAULT_FOLLOWER_CHECK_MS = 1_000;
export const DEFAULT_FOLLOWER_STALL_MS = 3_000;

/**
 * Follows the mesh stream with an ordered consumer (no acks) from just after the state's position, applying every
 * message in order, for as long as the node runs. Registry events' signatures are checked on the crypto worker while
 * later messages are read and prepared; messages are still applied strictly in stream order (a queue drained from
 * its head).
 *
 * The client recreates an ordered consumer itself after a server restart, but not always: on a 3-server cluster a
 * follower was seen to read nothing for 40–100 s after the restart of the server holding the stream (issue 14). So a
 * watchdog reads the log's end every `checkMs`; behind it with nothing read for `stallMs` (and not held back on
 * purpose: paused, or waiting for signatures), it drops the consumer and follows again from the next sequence, saying
 * so in one line. The same reading gives the lag (`lag()`: events and seconds behind the end).
 */
export class LogFollower {
  readonly #o: FollowerOptions;
  #messages: ConsumerMessages | undefined;
  #done: Promise<void> | undefined;
  #waiters: { seq: number; resolve: () => void }[] = [];
  #stopped = false;
  readonly #pool: CryptoPool = sharedCryptoPool();
  readonly #keys = new Map<string, Uint8Array>();
  #queue: Pending[] = [];
  #head = 0;
  #verifying = 0;
  #roomWaiter: (() => void) | undefined;
  #paused: Promise<void> | undefined;
  #resume: (() => void) | undefined;
  /** The last sequence read from the consumer (pushed to the queue; applied may be behind it). */
  #read = 0;
  /** When #read last moved, or the watchdog last found the follower current. */
  #movedAt = Date.now();
  #generation = 0;
  #watchdog: NodeJS.Timeout | undefined;
  #checking = false;
  #restarts = 0;
  readonly #lag: LagMeter;

  constructor(options: FollowerOptions) {
    this.#o = options;
    // The end the node started from was read just now; with no watchdog nothing reads it again (no reading age).
    const watched = options.jsm !== undefined && (options.checkMs ?? DEFAULT_FOLLOWER_CHECK_MS) > 0;
    this.#lag = new LagMeter(options.startEnd, watched ? Date.now() : undefined);
  }

  /** How far behind the log's end the state is (by the end as last read). */
  lag(now = Date.now()): FollowerLag {
    return this.#lag.lag(this.seq, now);
  }

  /** Times the watchdog recreated the consumer. */
  get restarts(): number {
    return this.#restarts;
  }

  get seq(): number {
    return this.#o.projector.state.seq;
  }

  get caughtUp(): boolean {
    return this.seq >= this.#o.startEnd;
  }

  async start(): Promise<void> {
    this.#read = this.seq;
    await this.#follow(this.seq + 1);
    const checkMs = this.#o.checkMs ?? DEFAULT_FOLLOWER_CHECK_MS;
    if (this.#o.jsm && checkMs > 0) {
      this.#watchdog = setInterval(() => void this.#check(), checkMs);
      this.#watchdog.unref();
    }
  }

  /** Reads the log from `from` with a new ordered consumer; messages at or before #read are skipped (a restart). */
  async #follow(from: number): Promise<void> {
    const generation = ++this.#generation;
    const consumer = await this.#o.js.consumers.get(this.#o.stream, {
      opt_start_seq: from,
      name_prefix: orderedConsumerPrefix(),
    });
    const messages = await consumer.consume({ max_messages: FOLLOW_BATCH });
    this.#messages = messages;
    this.#movedAt = Date.now();
    this.#done = (async () => {
      try {
        for await (const m of messages) {
          if (generation !== this.#generation) break;
          if (m.seq <= this.#read) continue;
          this.#read = m.seq;
          this.#movedAt = Date.now();
          this.#push(
            this.#o.projector.prepare({
              subject: m.subject,
              data: m.data,
              seq: m.seq,
              time: Math.floor(Number(m.info.timestampNanos) / 1_000_000),
            }),
          );
          if (this.#verifying >= MAX_VERIFYING) await new Promise<void>((r) => (this.#roomWaiter = r));
          if (this.#paused) await this.#paused;
        }
      } catch (err) {
        if (!this.#stopped && generation === this.#generation) this.#o.onError?.(err);
      } finally {
        // Not awaited by a restart: with the stream's server gone, the delete may wait for its timeout.
        await consumer.delete().catch(() => undefined);
      }
    })();
  }

  /**
   * The watchdog: reads the log's end; behind it, not held back on purpose and with nothing read for `stallMs`,
   * follows again from the next sequence. A failed reading (JetStream unavailable) is tried again at the next check.
   */
  async #check(): Promise<void> {
    if (this.#checking || this.#stopped || !this.#o.jsm) return;
    this.#checking = true;
    try {
      const info = await this.#o.jsm.streams.info(this.#o.stream);
      const now = Date.now();
      this.#lag.sawEnd(info.state.last_seq, now);
      const lag = this.#lag.lag(this.seq, now);
      if (this.#read >= info.state.last_seq || this.#paused || this.#roomWaiter) {
        this.#movedAt = now;
        return;
      }
      const idle = now - this.#movedAt;
      if (idle < (this.#o.stallMs ?? DEFAULT_FOLLOWER_STALL_MS) || this.#stopped) return;
      this.#restarts += 1;
      this.#o.log?.(
        `registry: the log follower read nothing for ${(idle / 1000).toFixed(1)} s while ${lag.events} events ` +
          `behind the end (${this.seq} of ${lag.end}, ${lag.seconds} s): following again from ${this.#read + 1}`,
      );
      const old = this.#messages;
      this.#generation += 1;
      old?.stop();
      await this.#follow(this.#read + 1);
    } catch {
      // JetStream unavailable (no leader, a server restarting): the next check tries again.
    } finally {
      this.#checking = false;
    }
  }

  #push(p: Prepared): void {
    const verifying = p.parsed !== undefined || (p.inbound !== undefined && p.verdict === undefined);
    const entry: Pending = { p, ok: verifying ? undefined : true };
    this.#queue.push(entry);
    if (p.inbound && p.verdict === undefined) {
      // A direct message or receipt: the registry's own verdict (every reader check, the signature on the crypto workers).
      this.#verifying += 1;
      const settle = (verdict: Prepared["verdict"]): void => {
        p.verdict = verdict;
        entry.ok = true;
        this.#verifying -= 1;
        this.#drain();
      };
      // checkInboundAsync never rejects; should it, the message is applied without a verdict (it then counts for nothing).
      Projector.checkInbound(p).then(settle, () => settle(undefined));
    } else if (p.parsed) {
      this.#verifying += 1;
      const { event, signed, signature } = p.parsed;
      // A signer whose DID holds no usable key, or a verification that fails outright, is a bad signature: counted by
      // the projector like any other, never an exception out of this loop or an unhandled rejection.
      void Promise.resolve()
        .then(() => this.#pool.verify(this.#key(event.by), signed, signature))
        .catch(() => false)
        .then((ok) => {
          entry.ok = ok;
          this.#verifying -= 1;
          this.#drain();
        });
    } else if (this.#head === this.#queue.length - 1) {
      this.#drain();
    }
  }

  /**
   * Holds the state still (nothing is applied; reading stops after the current message) until the returned
   * function is called: for a consistent snapshot written in many turns of the event loop.
   */
  pause(): () => void {
    if (!this.#paused) this.#paused = new Promise<void>((r) => (this.#resume = r));
    return () => {
      const resume = this.#resume;
      this.#paused = undefined;
      this.#resume = undefined;
      resume?.();
      this.#drain();
    };
  }

  /** Applies queued messages from the head for as long as their signatures are settled (not while paused). */
  #drain(): void {
    if (this.#paused) return;
    const q = this.#queue;
    const before = this.#head;
    while (this.#head < q.length) {
      const entry = q[this.#head] as Pending;
      if (entry.ok === undefined) break;
      this.#o.projector.commit(entry.p, entry.ok);
      this.#head += 1;
    }
    if (this.#head === before) return;
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 65_536) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    if (this.#roomWaiter && this.#verifying < MAX_VERIFYING / 2) {
      const wake = this.#roomWaiter;
      this.#roomWaiter = undefined;
      wake();
    }
    if (this.#waiters.length > 0) this.#wake();
  }

  #key(did: string): Uint8Array {
    let key = this.#keys.get(did);
    if (!key) {
      key = publicKeyFromDid(did);
      this.#keys.set(did, key);
    }
    return key;
  }

  /** Resolves once the state has applied stream sequence `seq` (read-your-writes for this node's own appends). */
  waitFor(seq: number, timeoutMs = 10_000): Promise<void> {
    if (this.seq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new PlexusError(
            ErrorCode.Timeout,
            `the registry did not apply log position ${seq} within ${timeoutMs} ms (at ${this.seq})`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push({ seq, resolve: done });
    });
  }

  #wake(): void {
    const seq = this.seq;
    const ready = this.#waiters.filter((w) => w.seq <= seq);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.seq > seq);
    for (const w of ready) w.resolve();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#messages?.stop();
    await this.#done;
  }
}
