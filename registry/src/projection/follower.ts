import type { ConsumerMessages, JetStreamClient } from "@nats-io/jetstream";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { Projector } from "./projector.js";

/** Messages asked for at once while following the log (rebuilds read millions). */
export const FOLLOW_BATCH = 4_096;

export interface FollowerOptions {
  js: JetStreamClient;
  stream: string;
  projector: Projector;
  /** The stream's last sequence when the node started: the node is ready once it has applied that far. */
  startEnd: number;
  onError?: (err: unknown) => void;
}

/**
 * Follows the mesh stream with an ordered consumer (no acks, recreated by the client after a server restart at
 * the right sequence) from just after the state's position, applying every message in order, for as long as the
 * node runs.
 */
export class LogFollower {
  readonly #o: FollowerOptions;
  #messages: ConsumerMessages | undefined;
  #done: Promise<void> | undefined;
  #waiters: { seq: number; resolve: () => void }[] = [];
  #stopped = false;

  constructor(options: FollowerOptions) {
    this.#o = options;
  }

  get seq(): number {
    return this.#o.projector.state.seq;
  }

  get caughtUp(): boolean {
    return this.seq >= this.#o.startEnd;
  }

  async start(): Promise<void> {
    const consumer = await this.#o.js.consumers.get(this.#o.stream, { opt_start_seq: this.seq + 1 });
    this.#messages = await consumer.consume({ max_messages: FOLLOW_BATCH });
    const messages = this.#messages;
    this.#done = (async () => {
      try {
        for await (const m of messages) {
          this.#o.projector.apply({ subject: m.subject, data: m.data, seq: m.seq, time: Math.floor(Number(m.info.timestampNanos) / 1_000_000) });
          if (this.#waiters.length > 0) this.#wake();
        }
      } catch (err) {
        if (!this.#stopped) this.#o.onError?.(err);
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    })();
  }

  /** Resolves once the state has applied stream sequence `seq` (read-your-writes for this node's own appends). */
  waitFor(seq: number, timeoutMs = 10_000): Promise<void> {
    if (this.seq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new PlexusError(ErrorCode.Timeout, `the registry did not apply log position ${seq} within ${timeoutMs} ms (at ${this.seq})`));
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
    this.#messages?.stop();
    await this.#done;
  }
}
