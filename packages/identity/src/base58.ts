/**
 * base58btc (the Bitcoin alphabet), as used by multibase prefix `z` and by `publicKeyBase58`.
 * Leading zero bytes map to leading '1' characters and back.
 */
import { PlexusError, ErrorCode } from "@plexus/core";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BASE = 58;

const DECODE_MAP: Int16Array = (() => {
  const map = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) map[ALPHABET.charCodeAt(i)] = i;
  return map;
})();

export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;

  // Base-58 digits, least significant first. Size bound: log(256)/log(58) ≈ 1.366.
  const digits = new Uint8Array(Math.ceil(((bytes.length - zeros) * 138) / 100) + 1);
  let length = 0;
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i] as number;
    let j = 0;
    for (; j < length || carry !== 0; j++) {
      carry += 256 * (digits[j] as number);
      digits[j] = carry % BASE;
      carry = Math.floor(carry / BASE);
    }
    length = j;
  }

  let out = "1".repeat(zeros);
  for (let i = length - 1; i >= 0; i--) out += ALPHABET[digits[i] as number];
  return out;
}

export function base58Decode(text: string): Uint8Array {
  if (typeof text !== "string") {
    throw new PlexusError(ErrorCode.InvalidArgument, "base58 input must be a string");
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;

  // Bytes, least significant first. Size bound: log(58)/log(256) ≈ 0.733.
  const bytes = new Uint8Array(Math.ceil(((text.length - zeros) * 733) / 1000) + 1);
  let length = 0;
  for (let i = zeros; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (DECODE_MAP[code] as number) : -1;
    if (value < 0) {
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `invalid base58btc character ${JSON.stringify(text[i])} at position ${i}`,
        { details: { position: i } },
      );
    }
    let carry = value;
    let j = 0;
    for (; j < length || carry !== 0; j++) {
      carry += BASE * (bytes[j] as number);
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    length = j;
  }

  const out = new Uint8Array(zeros + length);
  for (let i = 0; i < length; i++) out[zeros + i] = bytes[length - 1 - i] as number;
  return out;
}
