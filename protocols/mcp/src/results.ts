/**
 * Tool results: a short text for the model plus structured content, or a tool error (`isError: true`) with one line
 * that names the PlexusError code. Refusals and bad input never become transport errors.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { isPlexusError } from "@plexus/core";

export function success(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

/** `CODE (reason): message`, on one line, for a PlexusError; `INTERNAL: message` for anything else. */
export function reasonOf(err: unknown): string {
  if (isPlexusError(err)) {
    const reason = typeof err.details?.["reason"] === "string" ? err.details["reason"] : undefined;
    const tag = reason !== undefined && !err.message.startsWith(reason) ? `${err.code} (${reason})` : err.code;
    return oneLine(`${tag}: ${err.message}`);
  }
  return oneLine(`INTERNAL: ${err instanceof Error ? err.message : String(err)}`);
}

export function failure(err: unknown): CallToolResult {
  return { content: [{ type: "text", text: reasonOf(err) }], isError: true };
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
