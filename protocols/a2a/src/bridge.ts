/**
 * A2A tasks as ACP conversations. A caller's message becomes a signed "a2a.message" from the gateway to the agent in
 * the conversation named by the task id; the agent's replies in that conversation (and its receipts) move the task.
 */
import { randomUUID } from "node:crypto";
import { Message as MessageCodec, TaskState, type Message, type Task } from "@a2a-js/sdk";
import {
  RequestMalformedError,
  TaskNotCancelableError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from "@a2a-js/sdk/errors";
import type { Delivery } from "@plexus/acp";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { A2AMessageType, readReply, type CallerInfo, type CancelNotice, type ForwardedMessage } from "./conventions.js";
import { textOf } from "./parts.js";
import type { ReceiptOutcome } from "./receipt-watch.js";
import type { TaskBook } from "./task-book.js";
import { TaskFeed } from "./task-feed.js";
import { isSettled, isTaskId, isTerminal, stateOf, type TaskRecord } from "./task-record.js";
import {
  addUserMessage,
  applyReply,
  cancel,
  fail,
  markDelivered,
  markSent,
  markUndeliverable,
  newRecord,
} from "./transitions.js";

/** What the bridge needs of the mesh (MeshLink). */
export interface MeshSender {
  send(
    to: string,
    body: unknown,
    options: { type: string; conversation: string; replyTo?: string },
    onReceipt?: (outcome: ReceiptOutcome) => void,
  ): Promise<{ id: string }>;
}

export interface TaskBridgeOptions {
  book: TaskBook;
  mesh: MeshSender;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export class TaskBridge {
  readonly #book: TaskBook;
  readonly #mesh: MeshSender;
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;

  constructor(o: TaskBridgeOptions) {
    this.#book = o.book;
    this.#mesh = o.mesh;
    this.#onError = o.onError ?? (() => undefined);
    this.#now = o.now ?? Date.now;
  }

  /**
   * Starts a task for the caller's message, or continues the task it names. The returned feed already holds every
   * change after the message was stored; close it when done.
   */
  async submit(agent: string, m: Message, caller: CallerInfo): Promise<{ record: TaskRecord; feed: TaskFeed }> {
    const { record, userMessage } = m.taskId ? await this.#continue(agent, m) : await this.#create(agent, m);
    const feed = new TaskFeed(this.#book, record.task.id);
    try {
      await this.#forward(record, userMessage, caller);
      return { record, feed };
    } catch (err) {
      feed.close();
      throw err;
    }
  }

  async #create(agent: string, m: Message): Promise<{ record: TaskRecord; userMessage: Message }> {
    const ids = { taskId: randomUUID(), contextId: m.contextId || randomUUID() };
    const userMessage = { ...m, ...ids };
    const record = newRecord(agent, ids, userMessage, this.#now());
    await this.#book.create(record);
    return { record, userMessage };
  }

  async #continue(agent: string, m: Message): Promise<{ record: TaskRecord; userMessage: Message }> {
    const known = await this.find(agent, m.taskId);
    if (m.contextId && m.contextId !== known.task.contextId) {
      throw new RequestMalformedError(
        `contextId mismatch: the message names context "${m.contextId}", task ${m.taskId} belongs to "${known.task.contextId}"`,
      );
    }
    const userMessage = { ...m, contextId: known.task.contextId };
    const updated = await this.#book.update(m.taskId, (r) =>
      isTerminal(r.task) ? undefined : addUserMessage(r, userMessage, this.#now()),
    );
    if (!updated?.change)
      throw new UnsupportedOperationError(`Task ${m.taskId} is in a terminal state and cannot be modified.`);
    return { record: updated.record, userMessage };
  }

  async #forward(record: TaskRecord, m: Message, caller: CallerInfo): Promise<void> {
    const { id: taskId, contextId } = record.task;
    const body: ForwardedMessage = {
      a2a: { taskId, contextId, messageId: m.messageId },
      caller,
      text: textOf(m.parts),
      message: MessageCodec.toJSON(m),
    };
    const options = {
      type: A2AMessageType.Message,
      conversation: taskId,
      ...(record.lastReply ? { replyTo: record.lastReply } : {}),
    };
    let sent: { id: string };
    try {
      sent = await this.#mesh.send(record.agent, body, options, (outcome) => this.#onReceipt(taskId, outcome));
    } catch (err) {
      const tooLarge = isPlexusError(err, ErrorCode.EnvelopeTooLarge);
      const why = tooLarge
        ? "The message is too large for one mesh envelope."
        : "The gateway could not store the message on the mesh.";
      await this.#book.update(taskId, (r) => fail(r, why, this.#now())).catch(this.#onError);
      throw tooLarge ? new RequestMalformedError({ message: `${why} ${(err as Error).message}`, cause: err }) : err;
    }
    await this.#book.update(taskId, (r) => markSent(r, sent.id));
  }

  #onReceipt(taskId: string, outcome: ReceiptOutcome): void {
    const now = this.#now();
    const change = (r: TaskRecord) =>
      outcome.status === "failed"
        ? markUndeliverable(r, outcome.id, outcome.reason, now)
        : markDelivered(r, outcome.id, now);
    this.#book.update(taskId, change).catch(this.#onError);
  }

  /** The task, if it exists and belongs to this agent (TaskNotFound otherwise). */
  async find(agent: string, taskId: string): Promise<TaskRecord> {
    const record = isTaskId(taskId) ? await this.#book.get(taskId) : undefined;
    if (!record || record.agent !== agent) throw new TaskNotFoundError(`Task not found: ${taskId}`);
    return record;
  }

  /** A feed of the task's changes from now on. */
  feed(taskId: string): TaskFeed {
    return new TaskFeed(this.#book, taskId);
  }

  /** Cancels a task that is not terminal: tells the agent ("a2a.cancel"), then marks the task canceled. */
  async cancel(agent: string, taskId: string, caller: CallerInfo): Promise<Task> {
    const record = await this.find(agent, taskId);
    if (stateOf(record.task) === TaskState.TASK_STATE_CANCELED) return record.task;
    if (isTerminal(record.task))
      throw new TaskNotCancelableError(
        `Task ${taskId} is already ${TaskState[stateOf(record.task)]} and cannot be canceled.`,
      );
    const notice: CancelNotice = {
      a2a: { taskId, contextId: record.task.contextId },
      caller,
      reason: "canceled by the A2A caller",
    };
    await this.#mesh.send(record.agent, notice, {
      type: A2AMessageType.Cancel,
      conversation: taskId,
      ...(record.lastReply ? { replyTo: record.lastReply } : {}),
    });
    const updated = await this.#book.update(taskId, (r) => cancel(r, this.#now()));
    const task = updated?.record.task ?? record.task;
    if (stateOf(task) !== TaskState.TASK_STATE_CANCELED)
      throw new TaskNotCancelableError(
        `Task ${taskId} ended (${TaskState[stateOf(task)]}) before it could be canceled.`,
      );
    return task;
  }

  /** Waits until the task settles or `timeoutMs` passes; then the task as it stands, or the agent's Message answer. */
  async settle(feed: TaskFeed, record: TaskRecord, timeoutMs: number): Promise<{ task: Task; answer?: Message }> {
    const deadline = this.#now() + timeoutMs;
    for (;;) {
      if (record.answer) return { task: record.task, answer: record.answer };
      if (isSettled(stateOf(record.task))) return { task: record.task };
      const change = await feed.next(undefined, deadline - this.#now());
      if (!change) return { task: record.task };
      if (change.answer) return { task: record.task, answer: change.answer };
      if (isSettled(change.state)) return { task: record.task };
    }
  }

  /** A reply (or direct message) from an agent: if it belongs to one of the gateway's tasks, it moves that task. */
  readonly onAgentMessage = async (d: Delivery): Promise<void> => {
    const taskId = d.conversation;
    if (taskId === undefined || !isTaskId(taskId)) return;
    const now = this.#now();
    await this.#book.update(taskId, (r) =>
      r.agent === d.from ? applyReply(r, d.id, readReply(d.body), now) : undefined,
    );
  };
}
