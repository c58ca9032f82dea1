/**
 * How the registry's HTTP apps answer errors: `{"error": {code, message, retryable, help}}` with the status of the
 * code's spec in @plexus/core (ERROR_SPECS), the same for the unsealed and the sealed node's API. A PlexusError keeps
 * its code and message; anything else is 500 INTERNAL saying only "internal error" (onError sees the original).
 */
import type { Context, ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { httpStatusFor, isPlexusError, toWireError, wireError, type ErrorCode, type WireError } from "@plexus/core";

function answer(c: Context, error: WireError): Response {
  return c.json({ error }, httpStatusFor(error.code) as ContentfulStatusCode);
}

/** An error answer for a code, with a message written for the caller (headers set with c.header are kept). */
export function failure(c: Context, code: ErrorCode, message: string): Response {
  return answer(c, wireError(code, message));
}

/** Every thrown value answers with its code's status; unexpected ones (not a PlexusError, or a 500) go to onError too. */
export function errorHandler(onError?: (err: unknown) => void): ErrorHandler {
  return (err, c) => {
    const wire = toWireError(err);
    if (!isPlexusError(err) || httpStatusFor(wire.code) === 500) onError?.(err);
    return answer(c, wire);
  };
}
