import canonicalize from "canonicalize";
import { ErrorCode, PlexusError } from "./errors.js";

/** RFC 8785 (JCS) canonical JSON text of a value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) {
    throw new PlexusError(ErrorCode.InvalidArgument, "value has no JSON form (undefined or a function)");
  }
  return text;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of the RFC 8785 canonical form: the bytes that get signed and hashed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
