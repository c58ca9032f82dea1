import { sign as nodeSign, createPrivateKey } from "node:crypto";
import { inspect } from "node:util";
import { describe, it, expect } from "vitest";
import { PlexusError, ErrorCode } from "@plexus/core";
import { generateKeyPair, keyPairFromSeed, verifySignature, didFromPublicKey, isDid } from "../src/index.js";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

// RFC 8032 section 7.1, TEST 1.
const RFC_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC_PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC_SIG =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

describe("KeyPair", () => {
  it("sign / verify round trip, by public key and by DID", () => {
    const kp = generateKeyPair();
    expect(isDid(kp.did)).toBe(true);
    const data = new TextEncoder().encode("hello plexus");
    const sig = kp.sign(data);
    expect(sig).toHaveLength(64);
    expect(verifySignature(kp.publicKey, data, sig)).toBe(true);
    expect(verifySignature(kp.did, data, sig)).toBe(true);
    // second call hits the cache
    expect(verifySignature(kp.did, data, sig)).toBe(true);
  });

  it("a flipped bit in data or signature fails", () => {
    const kp = generateKeyPair();
    const data = new TextEncoder().encode("hello plexus");
    const sig = kp.sign(data);
    const badData = Uint8Array.from(data);
    badData[0] = (badData[0] as number) ^ 1;
    expect(verifySignature(kp.did, badData, sig)).toBe(false);
    for (const i of [0, 31, 63]) {
      const badSig = Uint8Array.from(sig);
      badSig[i] = (badSig[i] as number) ^ 0x80;
      expect(verifySignature(kp.did, data, badSig)).toBe(false);
    }
    expect(verifySignature(generateKeyPair().did, data, sig)).toBe(false);
  });

  it("returns false, never throws, for malformed input", () => {
    const kp = generateKeyPair();
    const data = Uint8Array.of(1, 2, 3);
    const sig = kp.sign(data);
    expect(verifySignature(kp.publicKey, data, sig.subarray(0, 63))).toBe(false);
    expect(verifySignature(kp.publicKey, data, new Uint8Array(65))).toBe(false);
    expect(verifySignature(kp.publicKey.subarray(0, 31), data, sig)).toBe(false);
    expect(verifySignature(new Uint8Array(33), data, sig)).toBe(false);
    expect(verifySignature("did:key:zBad", data, sig)).toBe(false);
    expect(verifySignature("", data, sig)).toBe(false);
    expect(verifySignature(new Uint8Array(32), data, new Uint8Array(64))).toBe(false);
  });

  it("interop: RFC 8032 test 1 (node:crypto signature verifies, our key pair reproduces it)", () => {
    const seed = hex(RFC_SECRET);
    const empty = new Uint8Array(0);
    const nodeKey = createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
      format: "der",
      type: "pkcs8",
    });
    const nodeSig = new Uint8Array(nodeSign(null, empty, nodeKey));
    expect(Buffer.from(nodeSig).toString("hex")).toBe(RFC_SIG);
    expect(verifySignature(hex(RFC_PUB), empty, nodeSig)).toBe(true);
    expect(verifySignature(didFromPublicKey(hex(RFC_PUB)), empty, hex(RFC_SIG))).toBe(true);

    const kp = keyPairFromSeed(seed);
    expect(Buffer.from(kp.publicKey).toString("hex")).toBe(RFC_PUB);
    expect(Buffer.from(kp.sign(empty)).toString("hex")).toBe(RFC_SIG);
    expect(kp.exportSeed()).toEqual(seed);
  });

  it("rejects a seed of the wrong length", () => {
    try {
      keyPairFromSeed(new Uint8Array(31));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PlexusError);
      expect((err as PlexusError).code).toBe(ErrorCode.InvalidArgument);
    }
  });

  it("never shows the seed", () => {
    const kp = keyPairFromSeed(hex(RFC_SECRET));
    const seedHex = RFC_SECRET;
    const seedB64 = Buffer.from(seedHex, "hex").toString("base64");
    const seedB64u = Buffer.from(seedHex, "hex").toString("base64url");
    const seedBytes = Array.from(hex(seedHex)).join(",");
    for (const shown of [
      JSON.stringify(kp),
      JSON.stringify({ kp }),
      inspect(kp, { showHidden: true, depth: 10 }),
      inspect({ nested: [kp] }),
      String(kp),
      `${kp}`,
    ]) {
      expect(shown).toContain(kp.did);
      for (const secret of [seedHex, seedB64, seedB64u, seedBytes, "157,97,177"]) expect(shown).not.toContain(secret);
    }
    expect(JSON.parse(JSON.stringify(kp))).toEqual({ did: kp.did });
    expect(inspect(kp)).toBe(`KeyPair { did: '${kp.did}' }`);
  });

  it("publicKey and exportSeed return copies", () => {
    const kp = generateKeyPair();
    const pub = kp.publicKey;
    pub.fill(0);
    expect(kp.publicKey).not.toEqual(pub);
    const seed = kp.exportSeed();
    seed.fill(0);
    expect(kp.exportSeed()).not.toEqual(seed);
  });
});
