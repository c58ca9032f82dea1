/**
 * Limits on the shape of JSON another party wrote, checked before anything walks it recursively. A 12 KB body nested
 * 6,000 deep passes any size check, and JSON.parse (iterative in V8) takes it, but every recursive walk after it
 * (canonicalisation, schema validation, copying) overflows the stack. So bytes from elsewhere are scanned once, in a
 * flat loop over the text, for depth, members per object, items per array and string length; only then parsed.
 *
 * The same limits hold for what this process sends (`checkValueLimits`), so a sender learns at once that its message
 * would be refused everywhere, instead of every reader refusing it later.
 */
import { ErrorCode, PlexusError } from "./errors.js";

export interface JsonLimits {
  /** Containers (objects and arrays) nested inside each other; the top-level value is depth 1. */
  maxDepth: number;
  /** Members of one object. */
  maxKeys: number;
  /** Items of one array. */
  maxArrayLength: number;
  /** UTF-16 code units of one string (a key or a value), escapes counted as written. */
  maxStringLength: number;
}

/** The mesh's defaults: far above what any legitimate message needs, far below what hurts a reader. */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxDepth: 64,
  maxKeys: 1_024,
  maxArrayLength: 16_384,
  maxStringLength: 256 * 1024,
});

/** Which limit a value broke, and a one-line account of it. */
export interface LimitViolation {
  limit: keyof JsonLimits;
  detail: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

function violation(limit: keyof JsonLimits, detail: string): LimitViolation {
  return { limit, detail };
}

/**
 * Scans JSON text for limit violations and lone surrogate escapes without recursion. It does not validate the syntax
 * (JSON.parse does, after): on malformed text it stops early or returns undefined, never throws.
 */
export function scanJsonText(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): LimitViolation | { surrogate: string } | undefined {
  // counts[d] = separators seen at depth d (items - 1); kinds[d] = object or array; empty containers are fine.
  const counts: number[] = [];
  const kinds: boolean[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = scanString(text, i + 1, limits.maxStringLength);
      if (typeof end !== "number") return end;
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) return violation("maxDepth", `nested deeper than ${limits.maxDepth}`);
      counts[depth] = 0;
      kinds[depth] = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth = Math.max(0, depth - 1);
    } else if (c === COMMA && depth > 0) {
      const n = ++counts[depth]!;
      if (kinds[depth] && n >= limits.maxKeys)
        return violation("maxKeys", `an object has more than ${limits.maxKeys} members`);
      if (!kinds[depth] && n >= limits.maxArrayLength)
        return violation("maxArrayLength", `an array has more than ${limits.maxArrayLength} items`);
    }
  }
  return undefined;
}

/** Index of the closing quote of the string starting at `from`, or why the string is refused. */
function scanString(text: string, from: number, maxLength: number): number | LimitViolation | { surrogate: string } {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) break;
    if (c !== BACKSLASH) continue;
    if (text.charCodeAt(i + 1) === 0x75 /* u */) {
      const unicodeEscape = surrogateEscapeAt(text, i);
      if (typeof unicodeEscape === "string") return { surrogate: unicodeEscape };
      i += unicodeEscape - 1;
    } else i++;
  }
  if (i - from > maxLength) return violation("maxStringLength", `a string is longer than ${maxLength}`);
  return i;
}

function hex4(text: string, at: number): number {
  const s = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(s) ? Number.parseInt(s, 16) : -1;
}

/**
 * The length of the `\u` escape at `i`: 6, or 12 for a high+low surrogate pair. A surrogate escape that is not part of
 * such a pair is refused (RFC 8785 / I-JSON forbid lone surrogates): the description is returned instead.
 */
function surrogateEscapeAt(text: string, i: number): number | string {
  const unit = hex4(text, i + 2);
  if (unit < 0xd800 || unit > 0xdfff) return 6;
  if (unit >= 0xdc00) return `a lone low surrogate \\u${unit.toString(16)}`;
  const next = text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === 0x75 ? hex4(text, i + 8) : -1;
  if (next >= 0xdc00 && next <= 0xdfff) return 12;
  return `a lone high surrogate \\u${unit.toString(16)}`;
}

/**
 * The same limits over a value this process holds (what it is about to sign and send), walked with an explicit stack.
 * Throws PlexusError LIMIT_EXCEEDED naming the limit.
 */
export function checkValueLimits(value: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    const broken = checkOne(v, depth, limits);
    if (broken) throw new PlexusError(ErrorCode.LimitExceeded, broken.detail, { details: { limit: broken.limit } });
    if (typeof v !== "object" || v === null) continue;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (typeof child === "object" || typeof child === "string") stack.push([child, depth + 1]);
  }
}

function checkOne(v: unknown, depth: number, limits: JsonLimits): LimitViolation | undefined {
  if (typeof v === "string")
    return v.length > limits.maxStringLength
      ? violation("maxStringLength", `a string is longer than ${limits.maxStringLength}`)
      : undefined;
  if (typeof v !== "object" || v === null) return undefined;
  if (depth > limits.maxDepth) return violation("maxDepth", `nested deeper than ${limits.maxDepth}`);
  if (Array.isArray(v))
    return v.length > limits.maxArrayLength
      ? violation("maxArrayLength", `an array has more than ${limits.maxArrayLength} items`)
      : undefined;
  const keys = Object.keys(v);
  if (keys.length > limits.maxKeys) return violation("maxKeys", `an object has more than ${limits.maxKeys} members`);
  const long = keys.find((k) => k.length > limits.maxStringLength);
  return long === undefined
    ? undefined
    : violation("maxStringLength", `a string is longer than ${limits.maxStringLength}`);
}
