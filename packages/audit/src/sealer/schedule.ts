import type { KeyPair } from "@plexus/identity";
import type { AuditStore, ChainHead } from "../types.js";
import { signCheckpoint } from "./checkpoint.js";

export interface CheckpointScheduleOptions {
  store: AuditStore;
  key: KeyPair;
  /** After this many new links... */
  every: number;
  /** ...or this long (ms) when the head moved. */
  intervalMs: number;
  /** The head the sealer has confirmed (stored, and equal to what it computed). */
  head: () => ChainHead;
  onStored: () => void;
  onError: (err: unknown) => void;
}

/**
 * When the sealer signs: every `every` links, or every `intervalMs` when the head moved since the last checkpoint.
 * Any sealer may checkpoint a head it has confirmed; two sealers checkpointing the same head is harmless. One
 * checkpoint is written at a time, off the sealing path. The first tick after a start checkpoints a non-empty head,
 * so a chain left by a stopped sealer gets its tail signed.
 */
export class CheckpointSchedule {
  readonly #o: CheckpointScheduleOptions;
  #signedSize = 0;
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CheckpointScheduleOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.#checkpoint(1), Math.max(1, this.#o.intervalMs));
    this.#timer.unref();
  }

  /** Called as the confirmed head advances. */
  headMoved(): void {
    this.#checkpoint(Math.max(1, this.#o.every));
  }

  /** Stops the timer; with `final`, signs the head if it moved since the last checkpoint. */
  async stop(final: boolean): Promise<void> {
    clearInterval(this.#timer);
    await this.#writing;
    if (final) this.#checkpoint(1);
    await this.#writing;
  }

  #checkpoint(minLinks: number): void {
    const head = this.#o.head();
    if (this.#writing || head.size === 0 || head.size - this.#signedSize < minLinks) return;
    const before = this.#signedSize;
    this.#signedSize = head.size;
    this.#writing = (async () => {
      try {
        await this.#o.store.appendCheckpoint(signCheckpoint(this.#o.key, { size: head.size, head: head.hash, at: Date.now() }));
        this.#o.onStored();
      } catch (err) {
        this.#signedSize = before;
        this.#o.onError(err);
      } finally {
        this.#writing = undefined;
      }
    })();
  }
}
