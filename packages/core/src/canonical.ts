import { ErrorCode, PlexusError } from "./errors.js";

/**
 * RFC 8785 (JCS) canonical JSON text of a value: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers serialised exactly as ECMAScript's JSON.stringify does (which is what JCS specifies). Hand-written because it
 * runs twice per message (sign and verify); `canonical.test.ts` checks it against the `canonicalize` package.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) {
    throw new PlexusError(ErrorCode.InvalidArgument, "value has no JSON form (undefined or a function)");
  }
  return text;
}

function serialize(value: unknown): string | undefined {
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
      if (Array.isArray(value)) return serializeArray(value);
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return serialize((value as { toJSON(): unknown }).toJSON());
      return serializeObject(value as Record<string, unknown>);
    default:
      return undefined;
  }
}

function serializeArray(items: unknown[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += serialize(items[i]) ?? "null";
  }
  return out + "]";
}

function serializeObject(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const text = serialize(obj[key]);
    if (text === undefined) continue;
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + text;
    first = false;
  }
  return out + "}";
}

const encoder = new TextEncoder();

/** UTF-8 bytes of the RFC 8785 canonical form: the bytes that get signed and hashed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
