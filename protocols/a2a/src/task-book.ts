/**
 * The gateway's live view of its tasks: records cached in front of the store, one change at a time per task, saved
 * before anyone is told, and watchers (streams, blocking calls) told of every change.
 */
import type { Message, StreamResponse, Task, TaskState } from "@a2a-js/sdk";
import { stateOf, type TaskRecord } from "./task-record.js";
import type { TaskStore } from "./task-store.js";
import type { Change } from "./transitions.js";

export interface TaskChange {
  /** The live task (it may have moved on since): read `state` for where this change left it. */
  task: Task;
  state: TaskState;
  events: StreamResponse[];
  answer?: Message;
}

export type TaskWatcher = (change: TaskChange) => void;

/** Records kept in memory; past this the least recently used one is dropped (it is still in the store). */
const CACHE_LIMIT = 10_000;

export class TaskBook {
  readonly #store: TaskStore;
  readonly #cache = new Map<string, TaskRecord>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #watchers = new Map<string, Set<TaskWatcher>>();
  readonly #onClose = new Set<() => void>();
  #closed = false;

  constructor(store: TaskStore) {
    this.#store = store;
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const cached = this.#cache.get(taskId);
    if (cached) {
      this.#remember(cached);
      return cached;
    }
    const loaded = await this.#store.load(taskId);
    if (loaded) this.#remember(loaded);
    return loaded;
  }

  /** Stores a new record. */
  async create(record: TaskRecord): Promise<void> {
    await this.#store.save(record);
    this.#remember(record);
  }

  /**
   * Runs `change` on the task's record, after every earlier change of that task. What changed (a Change, not
   * undefined) is saved, then watchers hear of its events. Resolves with the record (undefined: no such task).
   */
  update(
    taskId: string,
    change: (r: TaskRecord) => Change | undefined,
  ): Promise<{ record: TaskRecord; change: Change | undefined } | undefined> {
    const run = async () => {
      const record = await this.get(taskId);
      if (!record) return undefined;
      const result = change(record);
      if (!result) return { record, change: undefined };
      await this.#save(record);
      if (result.events.length > 0) this.#notify(record, result);
      return { record, change: result };
    };
    const previous = this.#queues.get(taskId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.#queues.set(taskId, tail);
    void tail.then(() => {
      if (this.#queues.get(taskId) === tail) this.#queues.delete(taskId);
    });
    return next;
  }

  /**
   * Calls `watcher` with every later change of the task, and `onClose` if the book closes first; returns the
   * function that stops both.
   */
  watch(taskId: string, watcher: TaskWatcher, onClose?: () => void): () => void {
    let set = this.#watchers.get(taskId);
    if (!set) this.#watchers.set(taskId, (set = new Set()));
    set.add(watcher);
    if (onClose) {
      if (this.#closed) queueMicrotask(onClose);
      else this.#onClose.add(onClose);
    }
    return () => {
      set.delete(watcher);
      if (onClose) this.#onClose.delete(onClose);
      if (set.size === 0 && this.#watchers.get(taskId) === set) this.#watchers.delete(taskId);
    };
  }

  /** Ends every watch (waiting callers answer at once with the task as it stands). */
  close(): void {
    this.#closed = true;
    for (const f of [...this.#onClose]) f();
    this.#onClose.clear();
  }

  async #save(record: TaskRecord): Promise<void> {
    try {
      await this.#store.save(record);
    } catch (err) {
      // The cached copy is ahead of the store: forget it, so the next reader sees what is stored.
      this.#cache.delete(record.task.id);
      throw err;
    }
  }

  #notify(record: TaskRecord, change: Change): void {
    const set = this.#watchers.get(record.task.id);
    if (!set) return;
    const told: TaskChange = {
      task: record.task,
      state: stateOf(record.task),
      events: change.events,
      ...(change.answer ? { answer: change.answer } : {}),
    };
    for (const w of [...set]) w(told);
  }

  #remember(record: TaskRecord): void {
    this.#cache.delete(record.task.id);
    this.#cache.set(record.task.id, record);
    if (this.#cache.size > CACHE_LIMIT) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }
}
