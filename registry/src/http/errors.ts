/** How the registry's HTTP apps answer errors: `{"error": {"code", "message"}}` with a status per PlexusError code. */
import type { Context, ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isPlexusError } from "@plexus/core";

/** Codes only the HTTP transport produces; every other code comes from @plexus/core's ErrorCode. */
export const HttpErrorCode = { NotFound: "NOT_FOUND", MethodNotAllowed: "METHOD_NOT_ALLOWED", Internal: "INTERNAL" } as const;

export function failure(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status);
}

/**
 * A PlexusError whose code has a status answers with it; anything else is 500 INTERNAL (the client sees the message,
 * `onError` sees the error).
 */
export function errorHandler(statusOf: Partial<Record<string, ContentfulStatusCode>>, onError?: (err: unknown) => void): ErrorHandler {
  return (err, c) => {
    const status = isPlexusError(err) ? statusOf[err.code] : undefined;
    if (isPlexusError(err) && status !== undefined) return failure(c, status, err.code, err.message);
    onError?.(err);
    return failure(c, 500, HttpErrorCode.Internal, err instanceof Error ? err.message : String(err));
  };
}
