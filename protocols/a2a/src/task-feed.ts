/**
 * The changes of one task as they happen, queued from the moment the feed is opened (so a reply that lands while
 * the caller is still being answered is not missed). Used by blocking calls and streams.
 */
import type { StreamResponse } from "@a2a-js/sdk";
import type { TaskBook, TaskChange } from "./task-book.js";
import { isSettled } from "./task-record.js";

export class TaskFeed {
  readonly #queue: TaskChange[] = [];
  readonly #stop: () => void;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(book: TaskBook, taskId: string) {
    this.#stop = book.watch(
      taskId,
      (c) => {
        this.#queue.push(c);
        this.#wake?.();
      },
      () => this.close(),
    );
  }

  /** The next change; undefined once closed, aborted, or after `timeoutMs` without one. */
  async next(signal?: AbortSignal, timeoutMs?: number): Promise<TaskChange | undefined> {
    const queued = this.#queue.shift();
    if (queued || this.#closed || signal?.aborted) return queued;
    await new Promise<void>((resolve) => {
      const timer = timeoutMs !== undefined ? setTimeout(done, Math.max(0, timeoutMs)) : undefined;
      signal?.addEventListener("abort", done, { once: true });
      this.#wake = done;
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    });
    this.#wake = undefined;
    return this.#queue.shift();
  }

  /** Stream events until the task settles (terminal, or waiting for the caller), or the signal aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<StreamResponse, void, undefined> {
    for (;;) {
      const change = await this.next(signal);
      if (!change) return;
      yield* change.events;
      if (isSettled(change.state)) return;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    this.#wake?.();
  }
}
