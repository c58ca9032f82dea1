/**
 * Tool results: a short text for the model plus structured content, or a tool error (`isError: true`) with one line
 * that names the code, and the wire error (`{code, message, retryable, help}`, ERROR_SPECS in @plexus/core) under
 * `_meta["plexus.dev/error"]` for programs. Not in structuredContent: the SDK's client checks that against the tool's
 * output schema even on an error. Refusals and bad input never become transport errors.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { isPlexusError, toWireError } from "@plexus/core";

/** The `_meta` key of a tool error's wire error. */
export const ERROR_META_KEY = "plexus.dev/error";

export function success(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

/** `CODE (reason): message`, on one line; anything but a PlexusError is INTERNAL, without its text (toWireError). */
export function reasonOf(err: unknown): string {
  const wire = toWireError(err);
  const reason = isPlexusError(err) && typeof err.details?.["reason"] === "string" ? err.details["reason"] : undefined;
  const tag = reason !== undefined && !wire.message.startsWith(reason) ? `${wire.code} (${reason})` : wire.code;
  return oneLine(`${tag}: ${wire.message}`);
}

export function failure(err: unknown): CallToolResult {
  return {
    content: [{ type: "text", text: reasonOf(err) }],
    isError: true,
    _meta: { [ERROR_META_KEY]: toWireError(err) },
  };
}

/** Runs a tool body; whatever it throws becomes a tool error. */
export async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (err) {
    return failure(err);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, " ").trim();
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}
