import { readFileSync } from "node:fs";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { describe, it, expect } from "vitest";
import { PlexusError, ErrorCode } from "@plexus/core";
import {
  base58Decode,
  base58Encode,
  didFromKeyId,
  didFromPublicKey,
  didKeyId,
  isDid,
  keyPairFromSeed,
  publicKeyFromDid,
  resolveDidDocument,
  x25519PrivateKeyFromEd25519Seed,
  x25519PublicKeyFromEd25519,
  x25519PublicKeyMultibase,
} from "../src/index.js";

interface Jwk {
  kty: string;
  crv: string;
  x: string;
  d?: string;
}

/** Four vectors publish keys as base58 (Ed25519VerificationKey2018), the fifth as JsonWebKey2020. */
interface Vector {
  seed: string;
  verificationKeyPair: { type: string; publicKeyBase58?: string; publicKeyJwk?: Jwk; privateKeyJwk?: Jwk };
  keyAgreementKeyPair: {
    id: string;
    type: string;
    publicKeyBase58?: string;
    privateKeyBase58?: string;
    publicKeyJwk?: Jwk;
    privateKeyJwk?: Jwk;
  };
  didDocument: { verificationMethod: { type: string }[] };
}

const vectors = JSON.parse(
  readFileSync(new URL("./vectors/did-key-ed25519-x25519.json", import.meta.url), "utf8"),
) as Record<string, Vector>;

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
const b64u = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64url"));

/** A key given as publicKeyBase58/privateKeyBase58 or as a JWK's x/d, decoded to bytes. */
function keyBytes(base58: string | undefined, jwk: Jwk | undefined, part: "x" | "d"): Uint8Array {
  if (base58 !== undefined) return base58Decode(base58);
  const value = jwk?.[part];
  if (value === undefined) throw new Error(`vector has no ${part} key`);
  return b64u(value);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

function expectCode(fn: () => unknown, code: string): PlexusError {
  const err = catchError(fn);
  expect(err).toBeInstanceOf(PlexusError);
  expect((err as PlexusError).code).toBe(code);
  return err as PlexusError;
}

describe("base58btc", () => {
  it("round-trips, keeping leading zero bytes", () => {
    for (const bytes of [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.of(0, 0, 0, 1),
      Uint8Array.of(255, 255),
      hex("00000000deadbeef00"),
      new Uint8Array(Buffer.from("hello world")),
    ]) {
      expect(base58Decode(base58Encode(bytes))).toEqual(bytes);
    }
  });

  it("matches known encodings", () => {
    expect(base58Encode(new Uint8Array(Buffer.from("hello world")))).toBe("StV1DL6CwTryKyV");
    expect(base58Encode(hex("0000287fb4cd"))).toBe("11233QC4");
    expect(base58Decode("11233QC4")).toEqual(hex("0000287fb4cd"));
    expect(base58Encode(Uint8Array.of(0, 0))).toBe("11");
    expect(base58Decode("")).toEqual(new Uint8Array(0));
  });

  it("rejects characters outside the alphabet", () => {
    for (const bad of ["0", "O", "I", "l", "abc+", "é"]) expectCode(() => base58Decode(bad), ErrorCode.InvalidArgument);
  });
});

describe("did:key vectors (w3c-ccg ed25519-x25519)", () => {
  const entries = Object.entries(vectors);
  it("has the five vectors (four base58, one JsonWebKey2020)", () => {
    expect(entries).toHaveLength(5);
    const types = entries.map(([, v]) => v.didDocument.verificationMethod[0]?.type);
    expect(types.filter((t) => t === "Ed25519VerificationKey2018")).toHaveLength(4);
    expect(types.filter((t) => t === "JsonWebKey2020")).toHaveLength(1);
  });

  for (const [did, v] of entries) {
    describe(did, () => {
      const seed = hex(v.seed);
      const edPub = keyBytes(v.verificationKeyPair.publicKeyBase58, v.verificationKeyPair.publicKeyJwk, "x");
      const kaPub = keyBytes(v.keyAgreementKeyPair.publicKeyBase58, v.keyAgreementKeyPair.publicKeyJwk, "x");
      const kaPriv = keyBytes(v.keyAgreementKeyPair.privateKeyBase58, v.keyAgreementKeyPair.privateKeyJwk, "d");

      it("seed → did and publicKeyBase58", () => {
        const kp = keyPairFromSeed(seed);
        expect(kp.did).toBe(did);
        expect(kp.publicKey).toEqual(edPub);
        if (v.verificationKeyPair.publicKeyBase58 !== undefined) {
          expect(base58Encode(kp.publicKey)).toBe(v.verificationKeyPair.publicKeyBase58);
        }
        if (v.verificationKeyPair.privateKeyJwk?.d !== undefined) {
          expect(kp.exportSeed()).toEqual(b64u(v.verificationKeyPair.privateKeyJwk.d));
        }
        expect(didFromPublicKey(kp.publicKey)).toBe(did);
      });

      it("did → public key", () => {
        expect(publicKeyFromDid(did)).toEqual(edPub);
        expect(isDid(did)).toBe(true);
        expect(didFromKeyId(didKeyId(did))).toBe(did);
        expect(didKeyId(did)).toMatch(/^z6Mk[1-9A-HJ-NP-Za-km-z]+$/);
      });

      it("X25519 public and private keys", () => {
        const xPub = x25519PublicKeyFromEd25519(publicKeyFromDid(did));
        const xPriv = x25519PrivateKeyFromEd25519Seed(seed);
        expect(xPub).toEqual(kaPub);
        expect(xPriv).toEqual(kaPriv);
        expect(v.keyAgreementKeyPair.id.endsWith(`#${x25519PublicKeyMultibase(xPub)}`)).toBe(true);

        // The derived private key's X25519 public key (computed by node:crypto) is the mapped public key.
        const priv = createPrivateKey({
          key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), xPriv]),
          format: "der",
          type: "pkcs8",
        });
        const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
        expect(new Uint8Array(spki.subarray(-32))).toEqual(xPub);
      });

      it("DID document", () => {
        const jwkVector = v.didDocument.verificationMethod[0]?.type === "JsonWebKey2020";
        const doc = jwkVector
          ? resolveDidDocument(did, { publicKeyFormat: "JsonWebKey2020" })
          : resolveDidDocument(did);
        expect(doc).toEqual(v.didDocument);
      });
    });
  }
});

describe("did:key parsing errors", () => {
  const good = Object.keys(vectors)[0] as string;

  it("rejects a wrong prefix", () => {
    const err = expectCode(() => publicKeyFromDid(good.replace("did:key:", "did:web:")), ErrorCode.InvalidDid);
    expect(err.message).toMatch(/did:key:/);
    expectCode(() => publicKeyFromDid("z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"), ErrorCode.InvalidDid);
    expectCode(() => publicKeyFromDid(""), ErrorCode.InvalidDid);
    expectCode(() => publicKeyFromDid("did:key:" + "f" + "00"), ErrorCode.InvalidDid); // not base58btc multibase
  });

  it("rejects a wrong multicodec", () => {
    // An X25519 key id (0xec 0x01) is not an Ed25519 did:key.
    const x = (vectors[good] as Vector).keyAgreementKeyPair.id.slice(1);
    const err = expectCode(() => publicKeyFromDid(`did:key:${x}`), ErrorCode.InvalidDid);
    expect(err.message).toMatch(/multicodec/);
    expectCode(
      () => publicKeyFromDid(`did:key:z${base58Encode(Uint8Array.of(0x12, 0x20, ...new Uint8Array(32)))}`),
      ErrorCode.InvalidDid,
    );
  });

  it("rejects truncated and overlong keys", () => {
    const full = base58Decode(good.slice("did:key:z".length));
    const truncated = `did:key:z${base58Encode(full.subarray(0, 30))}`;
    const err = expectCode(() => publicKeyFromDid(truncated), ErrorCode.InvalidDid);
    expect(err.message).toMatch(/32 bytes, got 28/);
    expectCode(() => publicKeyFromDid(good.slice(0, -3)), ErrorCode.InvalidDid); // truncated text
    expectCode(() => publicKeyFromDid(`did:key:z${base58Encode(Uint8Array.of(0xed))}`), ErrorCode.InvalidDid);
    expectCode(
      () => publicKeyFromDid(`did:key:z${base58Encode(Uint8Array.of(0xed, 0x01, ...new Uint8Array(33)))}`),
      ErrorCode.InvalidDid,
    );
    expectCode(() => publicKeyFromDid("did:key:z"), ErrorCode.InvalidDid);
  });

  it("rejects bad base58 characters", () => {
    expectCode(() => publicKeyFromDid(`${good.slice(0, -1)}0`), ErrorCode.InvalidDid);
  });

  it("isDid / didKeyId / didFromKeyId validate", () => {
    expect(isDid("did:key:z6Mk")).toBe(false);
    expect(isDid(42)).toBe(false);
    expectCode(() => didKeyId("did:key:nope"), ErrorCode.InvalidDid);
    expectCode(() => didFromKeyId("z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW"), ErrorCode.InvalidDid);
  });
});
