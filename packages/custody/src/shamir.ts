/**
 * The one place that talks to secrets.js-grempe (Shamir over GF(2^8), shares as hex strings "8" + id + data).
 * The library keeps global settings; every call here makes sure they are 8 bits and node's crypto.randomBytes.
 * It checks nothing about the result: `combine` below the threshold silently returns a wrong secret. The callers
 * (split.ts) guard it with the share tags and the commitment.
 */
import secrets from "secrets.js-grempe";

/** GF(2^8): share indexes 1..255. */
export const SHAMIR_BITS = 8;
export const MAX_SHARES = 2 ** SHAMIR_BITS - 1;
/** The seed is padded to a multiple of this many bits before splitting (the library's default, stated). */
const PAD_BITS = 128;
/** "8" (bits in base 36) + two hex digits of index. */
export const SHARE_PREFIX_LENGTH = 3;
/** Hex digits of share data for a 32-byte secret: 1 marker bit + 256 bits, padded to 384 bits. */
export const SHARE_DATA_HEX_LENGTH = (Math.ceil((1 + 256) / PAD_BITS) * PAD_BITS) / 4;

function configured(): typeof secrets {
  const config = secrets.getConfig();
  if (config.bits !== SHAMIR_BITS || config.typeCSPRNG !== "nodeCryptoRandomBytes")
    secrets.init(SHAMIR_BITS, "nodeCryptoRandomBytes");
  return secrets;
}

/** Splits `hex` (a secret as lowercase hex) into `n` share strings, any `k` of which restore it. */
export function shamirSplit(hex: string, n: number, k: number): string[] {
  return configured().share(hex, n, k, PAD_BITS);
}

/** Lagrange interpolation at 0 over the given share strings: the secret as hex, right or (silently) wrong. */
export function shamirCombine(shares: readonly string[]): string {
  return configured().combine([...shares]);
}

/** The index (x coordinate) and data of a share string, or undefined when it is not one of ours. */
export function shamirParts(share: string): { index: number; data: string } | undefined {
  const m = /^8([0-9a-f]{2})([0-9a-f]+)$/.exec(share);
  if (!m) return undefined;
  const index = Number.parseInt(m[1] as string, 16);
  if (index < 1 || index > MAX_SHARES) return undefined;
  return { index, data: m[2] as string };
}
