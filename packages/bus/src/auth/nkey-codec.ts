/**
 * NATS nkey encoding for keys we already hold: an agent's Ed25519 key is its NATS user key. @nats-io/nkeys can only
 * make new random pairs or read encoded seeds, so this encodes a raw 32-byte seed or public key the way nkeys does
 * (a prefix byte, the key, a CRC-16/XMODEM checksum, base32 without padding) and hands the result to `fromSeed`.
 */
import { fromSeed, type KeyPair as NKeyPair } from "@nats-io/nkeys";
import { ErrorCode, PlexusError } from "@plexus/core";
import { publicKeyFromDid } from "@plexus/identity";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** nkeys prefix bytes: 'S' for seeds, 'U' for user public keys. */
const PREFIX_SEED = 18 << 3;
const PREFIX_USER = 20 << 3;

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function withChecksum(prefix: number[], key: Uint8Array): string {
  const raw = new Uint8Array(prefix.length + key.length + 2);
  raw.set(prefix);
  raw.set(key, prefix.length);
  const crc = crc16(raw.subarray(0, prefix.length + key.length));
  raw[raw.length - 2] = crc & 0xff;
  raw[raw.length - 1] = crc >> 8;
  return base32(raw);
}

function requireKeyBytes(what: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `${what} must be 32 bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`,
    );
  }
}

function unbase32(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new PlexusError(ErrorCode.InvalidArgument, "not an nkey: a character outside base32");
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/** The raw 32-byte Ed25519 seed inside an encoded nkey seed ("S…"), its checksum checked. Secret. */
export function rawSeedOf(encodedSeed: Uint8Array): Uint8Array {
  const raw = unbase32(new TextDecoder().decode(encodedSeed).trim());
  if (raw.length !== 36 || ((raw[0] as number) & 0xf8) !== PREFIX_SEED)
    throw new PlexusError(ErrorCode.InvalidArgument, "not an nkey seed");
  const crc = crc16(raw.subarray(0, 34));
  if (raw[34] !== (crc & 0xff) || raw[35] !== crc >> 8)
    throw new PlexusError(ErrorCode.InvalidArgument, "nkey seed checksum mismatch");
  return raw.slice(2, 34);
}

/** The encoded nkey user seed ("SU…") of a 32-byte Ed25519 seed. Secret: handle like the seed itself. */
export function userSeedOf(ed25519Seed: Uint8Array): Uint8Array {
  requireKeyBytes("an Ed25519 seed", ed25519Seed);
  const prefix = [PREFIX_SEED | (PREFIX_USER >> 5), (PREFIX_USER & 31) << 3];
  return new TextEncoder().encode(withChecksum(prefix, ed25519Seed));
}

/** The nkey user pair of a 32-byte Ed25519 seed: its public key ("U…") is the same Ed25519 key as the agent's did:key. */
export function userKeyPairOf(ed25519Seed: Uint8Array): NKeyPair {
  return fromSeed(userSeedOf(ed25519Seed));
}

/** The nkey user public key ("U…") of a 32-byte Ed25519 public key. */
export function userPublicKeyOf(ed25519PublicKey: Uint8Array): string {
  requireKeyBytes("an Ed25519 public key", ed25519PublicKey);
  return withChecksum([PREFIX_USER], ed25519PublicKey);
}

/** The nkey user public key ("U…") of an agent's did:key. */
export function userPublicKeyOfDid(did: string): string {
  return userPublicKeyOf(publicKeyFromDid(did));
}
