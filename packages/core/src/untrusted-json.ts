/**
 * The one way Plexus reads JSON that another party wrote (envelopes, records, registry requests and events, heartbeats,
 * HTTP bodies): size first, then strict UTF-8 (no overlong forms, no encoded surrogates, a BOM is not whitespace),
 * then the shape limits in one flat scan (json-limits.ts), then JSON.parse. Every outcome is a value with a stable
 * reason; nothing here throws, whatever the bytes.
 */
import { DEFAULT_JSON_LIMITS, scanJsonText, type JsonLimits } from "./json-limits.js";

export const JsonRefusal = {
  Oversized: "oversized",
  MalformedJson: "malformed_json",
  LimitExceeded: "limit_exceeded",
} as const;
export type JsonRefusal = (typeof JsonRefusal)[keyof typeof JsonRefusal];

export type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: JsonRefusal; detail: string };

export interface ParseJsonOptions {
  /** Largest input, bytes (or UTF-16 units for a string). Default: no size limit beyond the shape limits. */
  maxBytes?: number;
  limits?: JsonLimits;
}

// ignoreBOM: a leading U+FEFF stays in the text, where JSON.parse refuses it (RFC 8259 §8.1: senders must not add one).
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function refuse(reason: JsonRefusal, detail: string): ParsedJson {
  return { ok: false, reason, detail };
}

export function parseJson(data: Uint8Array | string, options: ParseJsonOptions = {}): ParsedJson {
  if (options.maxBytes !== undefined && data.length > options.maxBytes) {
    return refuse(JsonRefusal.Oversized, `${data.length} bytes; the limit is ${options.maxBytes}`);
  }
  let text: string;
  try {
    text = typeof data === "string" ? data : strictUtf8.decode(data);
  } catch {
    return refuse(JsonRefusal.MalformedJson, "not valid UTF-8");
  }
  const scanned = scanJsonText(text, options.limits ?? DEFAULT_JSON_LIMITS);
  if (scanned && "surrogate" in scanned) return refuse(JsonRefusal.MalformedJson, scanned.surrogate);
  if (scanned) return refuse(JsonRefusal.LimitExceeded, scanned.detail);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return refuse(JsonRefusal.MalformedJson, String((err as Error)?.message ?? err).slice(0, 200));
  }
}

/** `parseJson` for a JSON object: anything else (an array, a number, null) is refused as malformed. */
export function parseJsonObject(
  data: Uint8Array | string,
  options: ParseJsonOptions = {},
): { ok: true; value: Record<string, unknown> } | Extract<ParsedJson, { ok: false }> {
  const parsed = parseJson(data, options);
  if (!parsed.ok) return parsed;
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return { ok: false, reason: JsonRefusal.MalformedJson, detail: "not a JSON object" };
  }
  return { ok: true, value: parsed.value as Record<string, unknown> };
}
