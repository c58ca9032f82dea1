/**
 * Ed25519 key pairs on node:crypto. The 32-byte seed lives in a private field and leaves only through `exportSeed()`:
 * it never appears in JSON.stringify, util.inspect / console.log, String() or error messages.
 */
import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
} from "node:crypto";
import type { KeyObject } from "node:crypto";
import { PlexusError, ErrorCode } from "@plexus/core";
import { didFromPublicKey, isSmallOrderKey, publicKeyFromDid } from "./did-key.js";
import { sodium } from "./sodium.js";
import { sharedCryptoPool, type CryptoPool, type PoolSigner } from "./crypto-pool.js";

export const ED25519_SEED_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

/** DER prefix of a PKCS#8 Ed25519 private key; followed by the 32-byte seed. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** DER prefix of an SPKI Ed25519 public key; followed by the 32-byte public key. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

function toPlain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export class KeyPair {
  readonly did: string;
  readonly #publicKey: Uint8Array;
  readonly #seed: Uint8Array;
  readonly #privateKey: KeyObject;
  /** libsodium's 64-byte secret key (seed ‖ public key), when libsodium is available. */
  readonly #sodiumSecret: Buffer | undefined;
  readonly #poolSigners = new WeakMap<CryptoPool, PoolSigner>();

  /** Prefer `keyPairFromSeed` / `generateKeyPair`. `seed` is copied. */
  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_LENGTH) {
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `an Ed25519 seed must be ${ED25519_SEED_LENGTH} bytes, got ${seed instanceof Uint8Array ? seed.length : typeof seed}`,
      );
    }
    this.#seed = Uint8Array.from(seed);
    const der = Buffer.concat([PKCS8_PREFIX, this.#seed]);
    try {
      this.#privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    } finally {
      der.fill(0);
    }
    const spki = createPublicKey(this.#privateKey).export({ format: "der", type: "spki" });
    this.#publicKey = toPlain(spki.subarray(SPKI_PREFIX.length));
    this.did = didFromPublicKey(this.#publicKey);
    const lib = sodium();
    if (lib) {
      this.#sodiumSecret = Buffer.alloc(64);
      lib.crypto_sign_seed_keypair(Buffer.alloc(32), this.#sodiumSecret, Buffer.from(this.#seed));
    }
  }

  /** The 32-byte Ed25519 public key (a copy). */
  get publicKey(): Uint8Array {
    return Uint8Array.from(this.#publicKey);
  }

  /** A 64-byte Ed25519 signature over `data`. */
  sign(data: Uint8Array): Uint8Array {
    return toPlain(cryptoSign(null, data, this.#privateKey));
  }

  /** The signature as base64url, without the copy `sign` makes (the hot path of envelope signing). */
  signBase64url(data: Uint8Array): string {
    const lib = sodium();
    if (lib && this.#sodiumSecret) {
      const sig = Buffer.allocUnsafe(64);
      lib.crypto_sign_detached(sig, data, this.#sodiumSecret);
      return sig.toString("base64url");
    }
    return cryptoSign(null, data, this.#privateKey).toString("base64url");
  }

  /**
   * The signature as base64url, made on a CryptoPool worker thread (batched with other signatures). The seed is
   * copied to the pool's workers on first use.
   */
  async signAsync(data: Uint8Array, pool: CryptoPool = sharedCryptoPool()): Promise<string> {
    let signer = this.#poolSigners.get(pool);
    if (!signer) {
      signer = pool.addKey(this.#seed, (d) => this.sign(d));
      this.#poolSigners.set(pool, signer);
    }
    const sig = await pool.sign(signer, data);
    return Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength).toString("base64url");
  }

  /** The 32-byte seed (a copy). The only way the secret leaves this object: handle with care. */
  exportSeed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }

  toJSON(): { did: string } {
    return { did: this.did };
  }

  toString(): string {
    return `KeyPair(${this.did})`;
  }

  [INSPECT](): string {
    return `KeyPair { did: '${this.did}' }`;
  }
}

/** A key pair for a 32-byte Ed25519 seed (RFC 8032 "private key"). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  return new KeyPair(seed);
}

/** A fresh random key pair. */
export function generateKeyPair(): KeyPair {
  const seed = randomBytes(ED25519_SEED_LENGTH);
  try {
    return new KeyPair(seed);
  } finally {
    seed.fill(0);
  }
}

/** Upper bound of the public-key cache used by `verifySignature`; the oldest entry is dropped beyond it. */
export const PUBLIC_KEY_CACHE_SIZE = 10_000;
const publicKeyCache = new Map<string, KeyObject>();

function cachePublicKey(cacheKey: string, pub: Uint8Array): KeyObject {
  return remember(
    publicKeyCache,
    cacheKey,
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" }),
  );
}

const rawKeyCache = new Map<string, Uint8Array>();

/** The 32 raw bytes of a public key given raw or as a did:key (cached like the KeyObjects). */
function rawPublicKey(pub: Uint8Array | string): Uint8Array | undefined {
  if (typeof pub !== "string") return pub instanceof Uint8Array && pub.length === 32 ? pub : undefined;
  const cached = rawKeyCache.get(pub);
  if (cached) return cached;
  try {
    return remember(rawKeyCache, pub, publicKeyFromDid(pub));
  } catch {
    return undefined;
  }
}

/** Stores `value` under `key`, dropping the oldest entry beyond PUBLIC_KEY_CACHE_SIZE. */
function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= PUBLIC_KEY_CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
  return value;
}

function publicKeyObject(pub: Uint8Array | string): KeyObject | undefined {
  if (typeof pub === "string") {
    const cached = publicKeyCache.get(pub);
    if (cached) return cached;
    let raw: Uint8Array;
    try {
      raw = publicKeyFromDid(pub);
    } catch {
      return undefined;
    }
    return cachePublicKey(pub, raw);
  }
  if (!(pub instanceof Uint8Array) || pub.length !== 32) return undefined;
  const hex = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString("hex");
  return publicKeyCache.get(hex) ?? cachePublicKey(hex, pub);
}

/**
 * Verifies an Ed25519 signature (libsodium when it loads, else node:crypto). `pub` is a 32-byte public key or a did:key.
 * Never throws for bad input: a malformed key, DID or signature, or a wrong length, gives `false`. A key of small
 * order is refused whatever the backend (node:crypto would accept made-up signatures for it; libsodium does not).
 */
export function verifySignature(pub: Uint8Array | string, data: Uint8Array, sig: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_LENGTH) return false;
  if (pub instanceof Uint8Array && pub.length === 32 && isSmallOrderKey(pub)) return false;
  if (!(data instanceof Uint8Array)) return false;
  const lib = sodium();
  if (lib) {
    const raw = rawPublicKey(pub);
    if (!raw) return false;
    try {
      return lib.crypto_sign_verify_detached(sig, data, raw);
    } catch {
      return false;
    }
  }
  try {
    const key = publicKeyObject(pub);
    if (!key) return false;
    return cryptoVerify(null, data, key, sig);
  } catch {
    return false;
  }
}
