/**
 * Plexus's HTTP error answer, for every HTTP app (the registry's two, the gateway's refusal): the body
 * `{"error": {code, message, retryable, help}}` and the status from @plexus/core's ERROR_SPECS, so one code reads the
 * same on every surface. Anything that is not a PlexusError is 500 INTERNAL with a fixed message (see toWireError).
 */
import { httpStatusFor, toWireError, wireError, type ErrorCode, type WireError } from "@plexus/core";

/** The answer for a wire error: its code's status, the error as the body. */
export function wireErrorResponse(error: WireError, headers: Record<string, string> = {}): Response {
  return Response.json({ error }, { status: httpStatusFor(error.code), headers });
}

/** The answer for a code and a message written for the caller. */
export function codeErrorResponse(code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return wireErrorResponse(wireError(code, message), headers);
}

/** The answer for any thrown value. */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  return wireErrorResponse(toWireError(err), headers);
}
