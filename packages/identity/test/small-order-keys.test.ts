import { createHash, createPrivateKey, createPublicKey, randomBytes, verify as opensslVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@plexus/core";
import { didFromPublicKey, isDid, publicKeyFromDid, verifySignature } from "../src/index.js";
import { CryptoPool } from "../src/internal.js";
import { isSmallOrderKey } from "../src/did-key.js";

/**
 * A did:key of an Ed25519 point of small order belongs to no private key, and OpenSSL (node:crypto, the backend when
 * the optional sodium-native is missing) accepts a made-up signature by it for every message; libsodium refuses. Nodes
 * with different backends would then disagree on joins, messages and ratings, and anyone could sign as that DID.
 * Such keys are refused everywhere. (Found by the security review of the reputation work; vectors: libsodium's list.)
 */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** A signature (R = P, S = a) that OpenSSL accepts for ANY message under the identity point as public key. */
function forgeryForIdentityPoint(): { identity: Buffer; sig: Buffer } {
  const sk = randomBytes(32);
  const priv = createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), sk]),
    format: "der",
    type: "pkcs8",
  });
  const P = createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(12);
  const h = createHash("sha512").update(sk).digest();
  h[0] = (h[0] as number) & 248;
  h[31] = ((h[31] as number) & 127) | 64;
  let a = 0n;
  for (let i = 31; i >= 0; i--) a = (a << 8n) | BigInt(h[i] as number);
  let S = a % L;
  const sBytes = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    sBytes[i] = Number(S & 0xffn);
    S >>= 8n;
  }
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  return { identity, sig: Buffer.concat([P, sBytes]) };
}

describe("Ed25519 keys of small order", () => {
  it("are accepted by OpenSSL for any message (the hole), and refused by verifySignature and the crypto pool whatever the backend", async () => {
    const { identity, sig } = forgeryForIdentityPoint();
    const spki = createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), identity]),
      format: "der",
      type: "spki",
    });
    const messages = ["anything", "a rating request", "an envelope"].map((m) => Buffer.from(m));
    // The hole this guards against is real on this machine's OpenSSL:
    expect(messages.map((m) => opensslVerify(null, m, spki, sig))).toEqual([true, true, true]);
    expect(isSmallOrderKey(identity)).toBe(true);
    const did = didFromPublicKey(identity);
    for (const m of messages) {
      expect(verifySignature(identity, m, sig)).toBe(false);
      expect(verifySignature(did, m, sig)).toBe(false);
    }
    const pool = new CryptoPool(1);
    try {
      expect(await pool.verify(identity, messages[0] as Buffer, sig)).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it("make no did:key: every small-order encoding, with either sign bit, is INVALID_DID", () => {
    const encodings = [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for (const hex of encodings) {
      for (const signBit of [0, 0x80]) {
        const key = Buffer.from(hex, "hex");
        key[31] = ((key[31] as number) & 0x7f) | signBit;
        const did = didFromPublicKey(key);
        expect(() => publicKeyFromDid(did)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidDid }));
        expect(isDid(did)).toBe(false);
      }
    }
    // An ordinary key is untouched.
    const ordinary = createPublicKey(
      createPrivateKey({
        key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), randomBytes(32)]),
        format: "der",
        type: "pkcs8",
      }),
    )
      .export({ format: "der", type: "spki" })
      .subarray(12);
    expect(isSmallOrderKey(ordinary)).toBe(false);
    expect(Buffer.from(publicKeyFromDid(didFromPublicKey(ordinary)))).toEqual(ordinary);
  });
});
