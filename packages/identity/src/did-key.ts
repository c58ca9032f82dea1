/**
 * did:key for Ed25519 public keys: `did:key:z` + base58btc(0xed 0x01 ‖ 32-byte public key).
 * The method-specific id (`z6Mk…`) contains only base58 characters, so it is safe as a NATS subject token.
 */
import { PlexusError, ErrorCode } from "@plexus/core";
import { base58Decode, base58Encode } from "./base58.js";

export const DID_KEY_PREFIX = "did:key:";
/** Multicodec varint prefix for an Ed25519 public key (0xed, as an unsigned varint). */
export const ED25519_PUB_MULTICODEC: Readonly<Uint8Array> = Uint8Array.of(0xed, 0x01);
export const ED25519_PUBLIC_KEY_LENGTH = 32;

/** Longest input echoed back in an error message. */
const MAX_ECHO = 80;

function echo(s: string): string {
  return JSON.stringify(s.length > MAX_ECHO ? `${s.slice(0, MAX_ECHO)}…` : s);
}

function invalidDid(message: string, did: unknown): PlexusError {
  return new PlexusError(ErrorCode.InvalidDid, message, {
    details: { did: typeof did === "string" ? did.slice(0, MAX_ECHO) : typeof did },
  });
}

/** `z` + base58btc(multicodec ‖ key): the multibase form used for key ids and `publicKeyMultibase`. */
export function encodeMultibaseKey(multicodec: Readonly<Uint8Array>, key: Uint8Array): string {
  const bytes = new Uint8Array(multicodec.length + key.length);
  bytes.set(multicodec, 0);
  bytes.set(key, multicodec.length);
  return `z${base58Encode(bytes)}`;
}

/** The method-specific id of the did:key for an Ed25519 public key (`z6Mk…`). */
export function publicKeyMultibase(pub: Uint8Array): string {
  if (!(pub instanceof Uint8Array) || pub.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `an Ed25519 public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes, got ${pub instanceof Uint8Array ? pub.length : typeof pub}`,
    );
  }
  return encodeMultibaseKey(ED25519_PUB_MULTICODEC, pub);
}

export function didFromPublicKey(pub: Uint8Array): string {
  return DID_KEY_PREFIX + publicKeyMultibase(pub);
}

/**
 * The encodings of the Ed25519 points of small order (libsodium's list in `ge25519_has_small_order`, the sign bit of
 * the last byte ignored): 0 and 1 (order 4 and 1), the two points of order 8, and p−1, p, p+1 (non-canonical forms).
 * Such a "key" has no private key, and under some verifiers (OpenSSL, node:crypto) a made-up signature verifies for
 * every message: two nodes with different Ed25519 backends would disagree, and anyone could sign as it.
 */
const SMALL_ORDER: readonly Uint8Array[] = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Uint8Array.from(Buffer.from(hex, "hex")));

/** True for the encoding of an Ed25519 point of small order (see SMALL_ORDER). */
export function isSmallOrderKey(pub: Uint8Array): boolean {
  return SMALL_ORDER.some((bad) => {
    let diff = ((pub[31] as number) & 0x7f) ^ (bad[31] as number);
    for (let i = 0; i < 31; i++) diff |= (pub[i] as number) ^ (bad[i] as number);
    return diff === 0;
  });
}

/** Decodes a method-specific id (`z6Mk…`) to the 32-byte Ed25519 public key; `did` is only used in messages. */
function decodeKeyId(id: string, did: string): Uint8Array {
  if (!id.startsWith("z")) {
    throw invalidDid(`invalid did:key ${echo(did)}: the key must be multibase base58btc (start with "z")`, did);
  }
  let bytes: Uint8Array;
  try {
    bytes = base58Decode(id.slice(1));
  } catch {
    throw invalidDid(`invalid did:key ${echo(did)}: the key is not valid base58btc`, did);
  }
  if (bytes.length < 2 || bytes[0] !== ED25519_PUB_MULTICODEC[0] || bytes[1] !== ED25519_PUB_MULTICODEC[1]) {
    const found = Array.from(bytes.subarray(0, 2), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw invalidDid(
      `invalid did:key ${echo(did)}: multicodec must be Ed25519 public key (ed 01), got ${found || "nothing"}`,
      did,
    );
  }
  const keyLength = bytes.length - 2;
  if (keyLength !== ED25519_PUBLIC_KEY_LENGTH) {
    throw invalidDid(
      `invalid did:key ${echo(did)}: an Ed25519 public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes, got ${keyLength}`,
      did,
    );
  }
  const key = bytes.slice(2);
  if (isSmallOrderKey(key))
    throw invalidDid(
      `invalid did:key ${echo(did)}: the key is a point of small order, which no private key belongs to`,
      did,
    );
  return key;
}

/** The 32-byte Ed25519 public key of a did:key. Throws PlexusError INVALID_DID. */
export function publicKeyFromDid(did: string): Uint8Array {
  if (typeof did !== "string") throw invalidDid(`a DID must be a string, got ${typeof did}`, did);
  if (!did.startsWith(DID_KEY_PREFIX)) {
    throw invalidDid(`invalid DID ${echo(did)}: expected it to start with "${DID_KEY_PREFIX}"`, did);
  }
  return decodeKeyId(did.slice(DID_KEY_PREFIX.length), did);
}

/** True when `s` is a well-formed Ed25519 did:key. */
export function isDid(s: unknown): s is string {
  if (typeof s !== "string") return false;
  try {
    publicKeyFromDid(s);
    return true;
  } catch {
    return false;
  }
}

/** The method-specific id (`z6Mk…`) of a did:key; validated. Safe to use as a NATS subject token. */
export function didKeyId(did: string): string {
  publicKeyFromDid(did);
  return did.slice(DID_KEY_PREFIX.length);
}

/** The did:key for a method-specific id (`z6Mk…`); validated. Inverse of `didKeyId`. */
export function didFromKeyId(id: string): string {
  if (typeof id !== "string") throw invalidDid(`a did:key id must be a string, got ${typeof id}`, id);
  const did = DID_KEY_PREFIX + id;
  decodeKeyId(id, did);
  return did;
}
