import { ErrorCode, PlexusError } from "./errors.js";

/**
 * RFC 8785 (JCS) canonical JSON text of a value: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers serialised exactly as ECMAScript's JSON.stringify does (which is what JCS specifies). Hand-written because it
 * runs twice per message (sign and verify); `canonical.test.ts` checks it against the `canonicalize` package.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, 0);
  if (text === undefined) {
    throw new PlexusError(ErrorCode.InvalidArgument, "value has no JSON form (undefined or a function)");
  }
  return text;
}

/**
 * Nesting the recursion below may reach: far past the inbound limit (DEFAULT_JSON_LIMITS.maxDepth, 64, checked before
 * anything from elsewhere gets here), far below what overflows the stack. Past it: LIMIT_EXCEEDED, never a RangeError.
 */
export const MAX_CANONICAL_DEPTH = 1_000;

function serialize(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new PlexusError(ErrorCode.InvalidArgument, `${value} has no JSON form`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (depth >= MAX_CANONICAL_DEPTH) {
        throw new PlexusError(ErrorCode.LimitExceeded, `nested deeper than ${MAX_CANONICAL_DEPTH}`, {
          details: { limit: "maxDepth" },
        });
      }
      if (Array.isArray(value)) return serializeArray(value, depth + 1);
      if (typeof (value as { toJSON?: unknown }).toJSON === "function")
        return serialize((value as { toJSON(): unknown }).toJSON(), depth + 1);
      return serializeObject(value as Record<string, unknown>, depth + 1);
    default:
      return undefined;
  }
}

function serializeArray(items: unknown[], depth: number): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += serialize(items[i], depth) ?? "null";
  }
  return `${out}]`;
}

function serializeObject(obj: Record<string, unknown>, depth: number): string {
  const keys = Object.keys(obj).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const text = serialize(obj[key], depth);
    if (text === undefined) continue;
    out += `${(first ? "" : ",") + JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of the RFC 8785 canonical form: the bytes that get signed and hashed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
