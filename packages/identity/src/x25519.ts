/**
 * X25519 key-agreement keys derived from Ed25519 keys, as did:key documents publish them.
 * Public: the birational map from the Edwards y-coordinate to the Montgomery u-coordinate, u = (1 + y) / (1 − y) mod p.
 * Private: the first 32 bytes of SHA-512(seed), clamped (the same scalar Ed25519 signs with).
 */
import { createHash } from "node:crypto";
import { PlexusError, ErrorCode } from "@plexus/core";
import { encodeMultibaseKey } from "./did-key.js";

/** Multicodec varint prefix for an X25519 public key (0xec). */
export const X25519_PUB_MULTICODEC: Readonly<Uint8Array> = Uint8Array.of(0xec, 0x01);

const P = (1n << 255n) - 19n;

function mod(a: bigint): bigint {
  const r = a % P;
  return r >= 0n ? r : r + P;
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

function bigIntToBytesLE(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function require32(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `${what} must be 32 bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
    );
  }
}

/** The X25519 public key (Montgomery u, 32 bytes little-endian) for an Ed25519 public key. */
export function x25519PublicKeyFromEd25519(edPub: Uint8Array): Uint8Array {
  require32(edPub, "an Ed25519 public key");
  const encoded = Uint8Array.from(edPub);
  encoded[31] = (encoded[31] as number) & 0x7f; // drop the sign bit of x
  const y = bytesToBigIntLE(encoded);
  if (y >= P) {
    throw new PlexusError(ErrorCode.InvalidArgument, "not an Ed25519 public key: y-coordinate out of range");
  }
  const denominator = mod(1n - y);
  if (denominator === 0n) {
    throw new PlexusError(ErrorCode.InvalidArgument, "not a usable Ed25519 public key: it is the identity point");
  }
  const u = mod((1n + y) * modPow(denominator, P - 2n));
  return bigIntToBytesLE(u, 32);
}

/** The X25519 private key (clamped scalar, 32 bytes) for a 32-byte Ed25519 seed. */
export function x25519PrivateKeyFromEd25519Seed(seed: Uint8Array): Uint8Array {
  require32(seed, "an Ed25519 seed");
  const digest = createHash("sha512").update(seed).digest();
  const scalar = new Uint8Array(digest.subarray(0, 32));
  digest.fill(0);
  scalar[0] = (scalar[0] as number) & 248;
  scalar[31] = ((scalar[31] as number) & 127) | 64;
  return scalar;
}

/** `z6LS…`: the multibase/multicodec form of an X25519 public key, used as its key id in DID documents. */
export function x25519PublicKeyMultibase(xPub: Uint8Array): string {
  require32(xPub, "an X25519 public key");
  return encodeMultibaseKey(X25519_PUB_MULTICODEC, xPub);
}
