/**
 * The error object every transport sends: `{ code, message, retryable, help }`, from ERROR_SPECS. A PlexusError keeps
 * its code and message; anything else is INTERNAL with a fixed message, because an unexpected error's text can name
 * files, hosts or internal state a remote caller has no business seeing (the server logs the original via onError).
 */
import { ErrorCode, isPlexusError } from "./errors.js";
import { errorSpec } from "./error-spec.js";

export interface WireError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  help?: string;
}

/** What a remote caller reads for an error that is not a PlexusError. */
export const INTERNAL_MESSAGE = "internal error";

/** The wire error of a code and a message written for the caller. */
export function wireError(code: ErrorCode, message: string): WireError {
  const spec = errorSpec(code);
  return { code, message, retryable: spec.retryable, help: spec.help };
}

/** Any thrown value as a wire error: a PlexusError's code and message, else INTERNAL that says nothing more. */
export function toWireError(err: unknown): WireError {
  return isPlexusError(err) ? wireError(err.code, err.message) : wireError(ErrorCode.Internal, INTERNAL_MESSAGE);
}
