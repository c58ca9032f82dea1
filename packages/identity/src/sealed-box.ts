import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { ErrorCode, PlexusError } from "@plexus/core";
import { publicKeyFromDid } from "./did-key.js";
import { keyPairFromSeed } from "./keypair.js";
import { x25519PrivateKeyFromEd25519Seed, x25519PublicKeyFromEd25519 } from "./x25519.js";

/**
 * Encrypts a small secret to a did:key (anonymous sender): X25519 between a fresh ephemeral key and the X25519 form
 * of the recipient's Ed25519 key, HKDF-SHA-256 (salt: both public keys), AES-256-GCM. Only the holder of the
 * recipient's seed can open it. Wire form: base64url(ephemeral public key 32 ‖ iv 12 ‖ ciphertext ‖ tag 16).
 */
const INFO = Buffer.from("plexus sealed box v1");

function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
}

function x25519Private(scalar: Uint8Array, pub: Uint8Array): KeyObject {
  return createPrivateKey({
    key: {
      kty: "OKP",
      crv: "X25519",
      d: Buffer.from(scalar).toString("base64url"),
      x: Buffer.from(pub).toString("base64url"),
    },
    format: "jwk",
  });
}

function key(shared: Buffer, ephemeral: Uint8Array, recipient: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, Buffer.concat([ephemeral, recipient]), INFO, 32));
}

export function sealTo(recipientDid: string, plaintext: Uint8Array): string {
  const recipient = x25519PublicKeyFromEd25519(publicKeyFromDid(recipientDid));
  const eph = generateKeyPairSync("x25519");
  const ephPub = Buffer.from(eph.publicKey.export({ format: "jwk" }).x as string, "base64url");
  const aesKey = key(
    diffieHellman({ privateKey: eph.privateKey, publicKey: x25519Public(recipient) }),
    ephPub,
    recipient,
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", aesKey, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([ephPub, iv, body, cipher.getAuthTag()]).toString("base64url");
}

/** Opens what `sealTo` sealed to the did:key of `seed`; throws SIGNATURE_INVALID if it was not sealed to it or was altered. */
export function openSealed(seed: Uint8Array, sealed: string): Uint8Array {
  const bytes = Buffer.from(sealed, "base64url");
  if (bytes.length < 32 + 12 + 16) throw new PlexusError(ErrorCode.InvalidArgument, "sealed box too short");
  const ephPub = bytes.subarray(0, 32);
  const iv = bytes.subarray(32, 44);
  const tag = bytes.subarray(bytes.length - 16);
  const scalar = x25519PrivateKeyFromEd25519Seed(seed);
  try {
    const recipientPub = x25519PublicKeyFromEd25519(keyPairFromSeed(seed).publicKey);
    const shared = diffieHellman({ privateKey: x25519Private(scalar, recipientPub), publicKey: x25519Public(ephPub) });
    const decipher = createDecipheriv("aes-256-gcm", key(shared, ephPub, recipientPub), iv);
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(44, bytes.length - 16)), decipher.final()]));
  } catch (err) {
    throw new PlexusError(ErrorCode.SignatureInvalid, "the sealed box was not sealed to this key, or was altered", {
      cause: err,
    });
  } finally {
    scalar.fill(0);
  }
}
