/** What the gateway keeps per A2A task, and its stored JSON form. */
import { Message as MessageCodec, Task as TaskCodec, TaskState, type Message, type Task } from "@a2a-js/sdk";
import { ErrorCode, PlexusError } from "@plexus/core";

export interface TaskRecord {
  /** The mesh agent the task was sent to. */
  agent: string;
  task: Task;
  /** Envelope id of the gateway's latest "a2a.message" in the conversation (receipts for it move the task to working). */
  lastSent: string | undefined;
  /** Envelope id of the agent's latest reply (the next forwarded message names it in replyTo). */
  lastReply: string | undefined;
  /** Ids of the agent messages already applied, newest last (bounded): a redelivered reply changes nothing. */
  applied: string[];
  /** The agent answered the caller with a plain A2A Message (its first reply asked for that). */
  answer: Message | undefined;
  createdAt: number;
}

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

const INTERRUPTED_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_INPUT_REQUIRED,
  TaskState.TASK_STATE_AUTH_REQUIRED,
]);

export function stateOf(task: Task): TaskState {
  return task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
}

export function isTerminal(task: Task): boolean {
  return TERMINAL_STATES.has(stateOf(task));
}

/** Terminal or waiting for the caller: where a blocking call returns and a stream ends. */
export function isSettled(state: TaskState): boolean {
  return TERMINAL_STATES.has(state) || INTERRUPTED_STATES.has(state);
}

/** Task ids are UUIDs the gateway made; anything else a caller names cannot be one of them. */
const TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function isTaskId(id: string): boolean {
  return TASK_ID.test(id);
}

const VERSION = 1;

export function encodeRecord(r: TaskRecord): string {
  return JSON.stringify({
    v: VERSION,
    agent: r.agent,
    task: TaskCodec.toJSON(r.task),
    lastSent: r.lastSent ?? null,
    lastReply: r.lastReply ?? null,
    applied: r.applied,
    answer: r.answer ? MessageCodec.toJSON(r.answer) : null,
    createdAt: r.createdAt,
  });
}

/**
 * The stored form, within `maxBytes` where dropping the oldest history can make it so (a KV value must fit in one
 * NATS message; the whole exchange stays in the mesh log anyway). Trims `r` itself, so memory matches the store.
 */
export function encodeFitting(r: TaskRecord, maxBytes: number): string {
  let text = encodeRecord(r);
  while (Buffer.byteLength(text) > maxBytes && r.task.history.length > 1) {
    r.task.history.splice(0, Math.max(1, Math.floor(r.task.history.length / 4)));
    text = encodeRecord(r);
  }
  return text;
}

export function decodeRecord(text: string): TaskRecord {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o["v"] !== VERSION || typeof o["agent"] !== "string" || typeof o["task"] !== "object") {
    throw new PlexusError(ErrorCode.InvalidArgument, "not an A2A task record of this version", {
      details: { v: o["v"] ?? null },
    });
  }
  return {
    agent: o["agent"],
    task: TaskCodec.fromJSON(o["task"]),
    lastSent: typeof o["lastSent"] === "string" ? o["lastSent"] : undefined,
    lastReply: typeof o["lastReply"] === "string" ? o["lastReply"] : undefined,
    applied: Array.isArray(o["applied"]) ? o["applied"].filter((x): x is string => typeof x === "string") : [],
    answer: o["answer"] ? MessageCodec.fromJSON(o["answer"]) : undefined,
    createdAt: typeof o["createdAt"] === "number" ? o["createdAt"] : 0,
  };
}
