import type { KeyPair } from "@plexus/identity";
import type { AuditStore, ChainHead } from "../types.js";
import { signCheckpoint } from "./checkpoint.js";
import type { TreeKeeper } from "./tree-keeper.js";

/** A checkpoint every this many links by default... */
export const DEFAULT_CHECKPOINT_EVERY = 1_000;
/** ...or this often (ms) while the head moves. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5_000;

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
  /** The sealer's Merkle tree: each checkpoint stores its tiles first, then signs its root too (as a checkpoint note). */
  tree?: TreeKeeper;
  /** The log's name in checkpoint notes (default plexus.mesh/<mesh>). */
  origin?: string;
}

/**
 * When the sealer signs: every `every` links, or every `intervalMs` when the head moved since the last checkpoint.
 * Any sealer may checkpoint a head it has confirmed; two sealers checkpointing the same head is harmless. One
 * checkpoint is written at a time, off the sealing path. The first tick after a start checkpoints a non-empty head,
 * so a chain left by a stopped sealer gets its tail signed.
 *
 * With a tree, the checkpoint's tree snapshot is taken in the same synchronous step as the head (both move together in
 * the sealer's confirm), its tiles are stored, then the checkpoint is signed with the root. A failed tile write is
 * reported and the checkpoint signed anyway (the tiles are derived data; its full tiles are retried next time).
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
    const tree = this.#o.tree;
    const snapshot = tree?.snapshot();
    this.#writing = (async () => {
      try {
        let root: { origin: string; root: Uint8Array } | undefined;
        if (tree && snapshot) {
          await tree.storeTiles(snapshot).catch((err) => this.#o.onError(err));
          if (snapshot.size === head.size && this.#o.origin) root = { origin: this.#o.origin, root: snapshot.root };
        }
        await this.#o.store.appendCheckpoint(
          signCheckpoint(this.#o.key, { size: head.size, head: head.hash, at: Date.now() }, root),
        );
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
