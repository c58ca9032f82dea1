/**
 * The contract between the gateway and the mesh agents it serves (documented for agent authors in README.md):
 * the direct messages the gateway sends, and how an agent's replies read as A2A task updates.
 */
import { TaskState, type Part } from "@a2a-js/sdk";
import { dataPart, partFromJson, textPart } from "./parts.js";

/** Types of the direct messages the gateway sends to an agent, in the conversation named by the A2A task id. */
export const A2AMessageType = {
  /** An A2A message from an outside caller (body: ForwardedMessage). */
  Message: "a2a.message",
  /** The caller canceled the task (body: CancelNotice); the task is already marked canceled. */
  Cancel: "a2a.cancel",
} as const;
export type A2AMessageType = (typeof A2AMessageType)[keyof typeof A2AMessageType];

/** What the outside caller presented over HTTP. Unverified, and never a credential. */
export interface CallerInfo {
  /** The A2A transport the call came on. */
  transport: "JSONRPC" | "HTTP+JSON";
  /** The TCP peer's address as the gateway saw it. */
  address?: string;
  /** The X-Forwarded-For header as presented (a proxy's claim). */
  forwardedFor?: string;
  userAgent?: string;
  /** The Authorization scheme, and the subject it names when one can be read without a secret (a JWT's `sub`, a Basic user). */
  auth?: { scheme: string; subject?: string };
}

/** The ids that tie a mesh conversation to A2A: the conversation id is the task id. */
export interface A2AIds {
  taskId: string;
  contextId: string;
}

/** Body of an "a2a.message" direct message. */
export interface ForwardedMessage {
  a2a: A2AIds & { messageId: string };
  caller: CallerInfo;
  /** The message's text parts joined by newlines, for agents that only read text. */
  text: string;
  /** The A2A message in its protocol v1.0 JSON form (`parts: [{text}|{data}|{url}|{raw}]`). */
  message: unknown;
}

/** Body of an "a2a.cancel" direct message. */
export interface CancelNotice {
  a2a: A2AIds;
  caller: CallerInfo;
  reason: string;
}

/** The `state` values an agent's reply may carry, and the A2A state each means. */
export const REPLY_STATES = {
  working: TaskState.TASK_STATE_WORKING,
  completed: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  canceled: TaskState.TASK_STATE_CANCELED,
  rejected: TaskState.TASK_STATE_REJECTED,
  "input-required": TaskState.TASK_STATE_INPUT_REQUIRED,
  "auth-required": TaskState.TASK_STATE_AUTH_REQUIRED,
} as const;
export type ReplyState = keyof typeof REPLY_STATES;

/** An artifact as an agent writes it: parts (JSON form), or text, or data. */
export interface ArtifactDraft {
  artifactId?: string;
  name?: string;
  description?: string;
  parts: Part[];
}

/** What one reply of the agent does to its task. */
export interface ReplyUpdate {
  state: TaskState;
  /** Parts of the agent's status message (empty: no message). */
  parts: Part[];
  artifacts: ArtifactDraft[];
  /** The agent asked to answer a waiting caller with a plain A2A Message instead of a task. */
  asMessage: boolean;
  /** Set when the reply could not be read as the agent meant it (an unknown state). */
  problem?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parts from `parts` (JSON form), `text` and `data`, in that order. */
function partsOf(o: Record<string, unknown>): Part[] {
  const parts = Array.isArray(o["parts"]) ? o["parts"].flatMap((p) => partFromJson(p) ?? []) : [];
  if (typeof o["text"] === "string") parts.push(textPart(o["text"]));
  if ("data" in o && o["data"] !== undefined) parts.push(dataPart(o["data"]));
  return parts;
}

function artifactsOf(o: Record<string, unknown>): ArtifactDraft[] {
  if (!Array.isArray(o["artifacts"])) return [];
  return o["artifacts"].filter(isRecord).flatMap((a) => {
    const parts = partsOf(a);
    if (parts.length === 0) return [];
    const draft: ArtifactDraft = { parts };
    if (typeof a["artifactId"] === "string" && a["artifactId"] !== "") draft.artifactId = a["artifactId"];
    if (typeof a["name"] === "string") draft.name = a["name"];
    if (typeof a["description"] === "string") draft.description = a["description"];
    return [draft];
  });
}

/**
 * Reads an agent's reply body. A body with a `state` (or `kind: "message"`) follows the convention; any other body
 * (a string, a number, an object without `state`) completes the task with the body as the status message.
 */
export function readReply(body: unknown): ReplyUpdate {
  const structured = isRecord(body) && (typeof body["state"] === "string" || body["kind"] === "message");
  if (!structured)
    return {
      state: TaskState.TASK_STATE_COMPLETED,
      parts: body === undefined || body === null ? [] : [typeof body === "string" ? textPart(body) : dataPart(body)],
      artifacts: [],
      asMessage: false,
    };
  const update: ReplyUpdate = {
    state: TaskState.TASK_STATE_COMPLETED,
    parts: partsOf(body),
    artifacts: artifactsOf(body),
    asMessage: body["kind"] === "message",
  };
  const state = body["state"];
  if (typeof state !== "string") return update;
  const known = (REPLY_STATES as Record<string, TaskState>)[state];
  if (known !== undefined) return { ...update, state: known };
  return {
    ...update,
    state: TaskState.TASK_STATE_FAILED,
    problem: `the agent answered with an unknown state ${JSON.stringify(state.slice(0, 40))}`,
  };
}
