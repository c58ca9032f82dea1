/**
 * Decoding stored links fast for the verifier. The sealer stores every link as exactly
 * `{"n":N,"event":"<64 hex>","hash":"<64 hex>","subject":"…","storedAt":T}` (codec.ts `encodeLink`); a link in that
 * shape, with a plain-ASCII subject and plain integers, is read here straight from the bytes, skipping the strict
 * UTF-8 decoder, the untrusted-JSON scan and JSON.parse that `decodeLink` runs (most of the cost of reading a chain).
 * Anything else (other field order, an escape, a non-ASCII byte, a number with a sign, fraction or leading zero, a
 * short or upper-case hash) goes to `decodeLink`; so the result is always what `decodeLink` gives.
 */
import { decodeLink } from "../store/codec.js";
import type { ChainLink } from "../types.js";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const N = ascii('{"n":');
const EVENT = ascii(',"event":"');
const HASH = ascii('","hash":"');
const SUBJECT = ascii('","subject":"');
const STORED_AT = ascii('","storedAt":');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE = 0x7d;

/** Lowercase hex digits. */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdef") HEX[c.charCodeAt(0)] = 1;

export function decodeStoredLink(data: Uint8Array, position: number): ChainLink {
  return fastLink(data) ?? decodeLink(data, position);
}

function fastLink(b: Uint8Array): ChainLink | undefined {
  let i = literal(b, 0, N);
  const n = integer(b, i);
  if (!n) return undefined;
  i = literal(b, n.end, EVENT);
  if (i < 0 || !hex64(b, i)) return undefined;
  const event = latin1(b, i, i + 64);
  i = literal(b, i + 64, HASH);
  if (i < 0 || !hex64(b, i)) return undefined;
  const hash = latin1(b, i, i + 64);
  i = literal(b, i + 64, SUBJECT);
  if (i < 0) return undefined;
  const from = i;
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) break;
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return undefined;
  }
  if (i >= b.length) return undefined;
  const subject = latin1(b, from, i);
  i = literal(b, i, STORED_AT);
  const storedAt = integer(b, i);
  if (!storedAt || storedAt.end !== b.length - 1 || b[storedAt.end] !== CLOSE) return undefined;
  return { n: n.value, event, hash, subject, storedAt: storedAt.value };
}

/** The index after `lit` at `i`, or -1. */
function literal(b: Uint8Array, i: number, lit: Uint8Array): number {
  if (i < 0 || i + lit.length > b.length) return -1;
  for (let j = 0; j < lit.length; j++) if (b[i + j] !== lit[j]) return -1;
  return i + lit.length;
}

/** A non-negative integer without leading zeros, at most 15 digits (always a safe integer). */
function integer(b: Uint8Array, i: number): { value: number; end: number } | undefined {
  if (i < 0) return undefined;
  let value = 0;
  let j = i;
  for (; j < b.length && j - i <= 15; j++) {
    const c = b[j]!;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  const digits = j - i;
  if (digits === 0 || digits > 15 || (digits > 1 && b[i] === 0x30)) return undefined;
  return { value, end: j };
}

function hex64(b: Uint8Array, i: number): boolean {
  if (i + 64 > b.length) return false;
  for (let j = i; j < i + 64; j++) if (HEX[b[j]!] !== 1) return false;
  return true;
}

function latin1(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString("latin1");
}
