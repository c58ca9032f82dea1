/**
 * How a task changes, as pure functions over its record: each mutates the record and returns what changed (the
 * stream events it produced), or undefined when nothing did. A terminal task never changes again.
 */
import { TaskState, type Artifact, type Message, type StreamResponse, type Task, type TaskStatus } from "@a2a-js/sdk";
import type { A2AIds, ReplyUpdate } from "./conventions.js";
import { agentMessage, artifact, textPart } from "./parts.js";
import { isTerminal, stateOf, type TaskRecord } from "./task-record.js";

/** The result of a change: events for subscribers, and an A2A Message when the agent asked to answer with one. */
export interface Change {
  events: StreamResponse[];
  answer?: Message;
}

/** Messages kept in a task's history; older ones are dropped (the whole exchange stays in the mesh log). */
export const MAX_HISTORY = 200;
const MAX_APPLIED = 256;

function statusEvent(task: Task): StreamResponse {
  return {
    payload: {
      $case: "statusUpdate",
      value: { taskId: task.id, contextId: task.contextId, status: task.status, metadata: undefined },
    },
  };
}

function artifactEvent(task: Task, a: Artifact): StreamResponse {
  return {
    payload: {
      $case: "artifactUpdate",
      value: {
        taskId: task.id,
        contextId: task.contextId,
        artifact: a,
        append: false,
        lastChunk: true,
        metadata: undefined,
      },
    },
  };
}

function pushHistory(task: Task, m: Message): void {
  task.history.push(m);
  if (task.history.length > MAX_HISTORY) task.history.splice(0, task.history.length - MAX_HISTORY);
}

function setStatus(task: Task, state: TaskState, message: Message | undefined, now: number): StreamResponse {
  const status: TaskStatus = { state, message, timestamp: new Date(now).toISOString() };
  task.status = status;
  return statusEvent(task);
}

/** A new task for the caller's first message: submitted, waiting in the agent's inbox. */
export function newRecord(agent: string, ids: A2AIds, userMessage: Message, now: number): TaskRecord {
  const task: Task = {
    id: ids.taskId,
    contextId: ids.contextId,
    status: undefined,
    artifacts: [],
    history: [],
    metadata: { plexusAgent: agent, plexusConversation: ids.taskId },
  };
  pushHistory(task, userMessage);
  setStatus(task, TaskState.TASK_STATE_SUBMITTED, undefined, now);
  return { agent, task, lastSent: undefined, lastReply: undefined, applied: [], answer: undefined, createdAt: now };
}

/** The caller sent another message to a task that is not terminal (answering input-required, say): submitted again. */
export function addUserMessage(r: TaskRecord, m: Message, now: number): Change {
  pushHistory(r.task, m);
  return { events: [setStatus(r.task, TaskState.TASK_STATE_SUBMITTED, undefined, now)] };
}

/**
 * The gateway's message was stored; `sentId` is its envelope id. Only receipts (matched in memory, by this process)
 * read it, so it is not worth a write of its own: it is stored with the task's next change.
 */
export function markSent(r: TaskRecord, sentId: string): undefined {
  r.lastSent = sentId;
  return undefined;
}

/** The agent's signed receipt says it took the latest message: a submitted task is now working. */
export function markDelivered(r: TaskRecord, sentId: string, now: number): Change | undefined {
  if (r.lastSent !== sentId || stateOf(r.task) !== TaskState.TASK_STATE_SUBMITTED) return undefined;
  return { events: [setStatus(r.task, TaskState.TASK_STATE_WORKING, undefined, now)] };
}

/** The agent's handler failed on the message every time (a "failed" receipt): the task failed. */
export function markUndeliverable(r: TaskRecord, sentId: string, reason: string, now: number): Change | undefined {
  if (r.lastSent !== sentId) return undefined;
  return fail(r, `The agent could not process the message: ${reason}`, now);
}

/** The task failed for a reason of the gateway's (the message could not be stored on the mesh, say). */
export function fail(r: TaskRecord, text: string, now: number): Change | undefined {
  if (isTerminal(r.task)) return undefined;
  const m = agentMessage([textPart(text)], r.task.contextId, r.task.id);
  return { events: [setStatus(r.task, TaskState.TASK_STATE_FAILED, m, now)] };
}

/** One reply of the agent (envelope id `replyId`), read by readReply. */
export function applyReply(r: TaskRecord, replyId: string, update: ReplyUpdate, now: number): Change | undefined {
  if (r.applied.includes(replyId) || isTerminal(r.task)) return undefined;
  const first = r.lastReply === undefined;
  r.applied.push(replyId);
  if (r.applied.length > MAX_APPLIED) r.applied.splice(0, r.applied.length - MAX_APPLIED);
  r.lastReply = replyId;
  const task = r.task;
  const events: StreamResponse[] = update.artifacts.map((draft, i) => {
    const a = artifact({
      artifactId: draft.artifactId ?? `${replyId}-${i}`,
      parts: draft.parts,
      ...(draft.name ? { name: draft.name } : {}),
      ...(draft.description ? { description: draft.description } : {}),
    });
    const at = task.artifacts.findIndex((x) => x.artifactId === a.artifactId);
    if (at >= 0) task.artifacts[at] = a;
    else task.artifacts.push(a);
    return artifactEvent(task, a);
  });
  const parts = update.problem ? [...update.parts, textPart(update.problem)] : update.parts;
  const m = parts.length > 0 ? agentMessage(parts, task.contextId, task.id, { plexusEnvelope: replyId }) : undefined;
  if (m) pushHistory(task, m);
  events.push(setStatus(task, update.state, m, now));
  const answer = update.asMessage && first && update.state === TaskState.TASK_STATE_COMPLETED ? m : undefined;
  if (!answer) return { events };
  r.answer = answer;
  return { events, answer };
}

/** The caller canceled: the task is canceled at once (the agent is told with an "a2a.cancel" message). */
export function cancel(r: TaskRecord, now: number): Change | undefined {
  if (isTerminal(r.task)) return undefined;
  const m = agentMessage([textPart("Task canceled by the caller.")], r.task.contextId, r.task.id);
  return { events: [setStatus(r.task, TaskState.TASK_STATE_CANCELED, m, now)] };
}

/** A copy of the task with `historyLength` applied: undefined keeps all, 0 none, N the last N. */
export function withHistory(task: Task, historyLength: number | undefined): Task {
  if (historyLength === undefined) return { ...task, history: [...task.history], artifacts: [...task.artifacts] };
  return {
    ...task,
    history: historyLength === 0 ? [] : task.history.slice(-historyLength),
    artifacts: [...task.artifacts],
  };
}
