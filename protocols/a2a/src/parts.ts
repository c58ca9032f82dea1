/**
 * Small builders for A2A v1.0 objects (protobuf-style shapes: every field present, `content.$case` for parts) and the
 * reverse: the plain text of a message.
 */
import { randomUUID } from "node:crypto";
import { Part as PartCodec, Role, type Artifact, type Message, type Part } from "@a2a-js/sdk";

export function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "" };
}

export function dataPart(data: unknown): Part {
  return { content: { $case: "data", value: data }, metadata: undefined, filename: "", mediaType: "application/json" };
}

/** A part from its JSON form (`{text}`, `{data}`, `{url}`, `{raw}`, with optional mediaType, filename, metadata). */
export function partFromJson(json: unknown): Part | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const part = PartCodec.fromJSON(json);
  return part.content === undefined ? undefined : part;
}

/** A part for any JSON value: a string becomes text, anything else data. */
export function partOf(value: unknown): Part {
  return typeof value === "string" ? textPart(value) : dataPart(value);
}

/** The text parts of a message, joined by newlines ("" when it has none). */
export function textOf(parts: readonly Part[]): string {
  return parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : [])).join("\n");
}

export interface MessageInit {
  role: Role;
  parts: Part[];
  contextId?: string;
  taskId?: string;
  messageId?: string;
  metadata?: Record<string, unknown>;
}

export function message(init: MessageInit): Message {
  return {
    messageId: init.messageId ?? randomUUID(),
    contextId: init.contextId ?? "",
    taskId: init.taskId ?? "",
    role: init.role,
    parts: init.parts,
    metadata: init.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

export function agentMessage(
  parts: Part[],
  contextId: string,
  taskId: string,
  metadata?: Record<string, unknown>,
): Message {
  return message({ role: Role.ROLE_AGENT, parts, contextId, taskId, ...(metadata ? { metadata } : {}) });
}

export function artifact(init: {
  artifactId: string;
  parts: Part[];
  name?: string;
  description?: string;
  metadata?: Record<string, unknown>;
}): Artifact {
  return {
    artifactId: init.artifactId,
    name: init.name ?? "",
    description: init.description ?? "",
    parts: init.parts,
    metadata: init.metadata,
    extensions: [],
  };
}
