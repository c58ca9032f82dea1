import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Resolver, type DIDDocument, type DIDResolutionResult } from "did-resolver";
import { getResolver } from "key-did-resolver";
import { verifyCredential as didJwtVcVerify } from "did-jwt-vc";
import {
  CredentialRejection,
  base58Encode,
  credentialRejectionOf,
  generateKeyPair,
  issueCapabilityCredential,
  issueMembershipCredential,
  verifyCapabilityCredential,
  verifyMembershipCredential,
  verifyPlexusCredential,
  type KeyPair,
} from "../src/index.js";
import { CAPABILITY_CREDENTIAL_TYPE } from "../src/capability-credential.js";
import { MEMBERSHIP_CREDENTIAL_TYPE } from "../src/credentials.js";
import { didKeyVerificationMethod } from "../src/vc-issue.js";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** A hand-built JWT: any header and payload, signed by `sign` over `header.payload` (or with the signature given). */
function craft(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  sign: ((input: Uint8Array) => Uint8Array) | string,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig =
    typeof sign === "string" ? sign : Buffer.from(sign(new TextEncoder().encode(input))).toString("base64url");
  return `${input}.${sig}`;
}

function capabilityPayload(
  issuer: string,
  subject: string,
  extra: Record<string, unknown> = {},
  vcExtra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    iss: issuer,
    sub: subject,
    jti: "urn:uuid:6f1c3a52-6c2e-4a64-9a0a-1f3d2b1e0c01",
    nbf: now() - 10,
    exp: now() + 3600,
    vc: {
      "@context": ["https://www.w3.org/2018/credentials/v1"],
      type: ["VerifiableCredential", CAPABILITY_CREDENTIAL_TYPE],
      credentialSubject: { capabilities: ["translate"] },
      ...vcExtra,
    },
    ...extra,
  };
}

const edHeader = (key: KeyPair, extra: Record<string, unknown> = {}) => ({
  alg: "EdDSA",
  typ: "JWT",
  kid: didKeyVerificationMethod(key.did),
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    const reason = credentialRejectionOf(err);
    if (reason === undefined) throw err;
    return reason;
  }
  return undefined;
}

describe("capability credentials", () => {
  it("issues a VC-JWT with kid, jti, nbf, exp that verifies to its claims", async () => {
    const issuer = generateKeyPair();
    const subject = generateKeyPair().did;
    const { jwt, claims } = await issueCapabilityCredential(issuer, {
      subject,
      capabilities: ["translate", "summarise"],
      ttlMs: 3_600_000,
      mesh: "m1",
    });
    const [header, payload] = jwt
      .split(".")
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s!, "base64url").toString()));
    expect(header).toMatchObject({ alg: "EdDSA", kid: `${issuer.did}#${issuer.did.slice("did:key:".length)}` });
    expect(payload).toMatchObject({
      iss: issuer.did,
      sub: subject,
      jti: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/),
    });
    expect(payload.exp - payload.nbf).toBe(3600);
    expect(payload.vc.credentialSubject).toEqual({ capabilities: ["translate", "summarise"], mesh: "m1" });
    const verified = await verifyCapabilityCredential(jwt, { mesh: "m1" });
    expect(verified).toEqual(claims);
    expect(verified).toMatchObject({
      issuer: issuer.did,
      subject,
      capabilities: ["translate", "summarise"],
      mesh: "m1",
    });
    expect(await verifyPlexusCredential(jwt)).toMatchObject({ kind: "capability", issuer: issuer.did });
  });

  it("refuses bad issue options", async () => {
    const issuer = generateKeyPair();
    const subject = generateKeyPair().did;
    await expect(
      issueCapabilityCredential(issuer, { subject: "bob", capabilities: ["x"], ttlMs: 60_000 }),
    ).rejects.toThrow(/did:key/);
    await expect(issueCapabilityCredential(issuer, { subject, capabilities: [], ttlMs: 60_000 })).rejects.toThrow(
      /1 to 64/,
    );
    await expect(
      issueCapabilityCredential(issuer, { subject, capabilities: ["Not A Name"], ttlMs: 60_000 }),
    ).rejects.toThrow(/capability name/);
    await expect(issueCapabilityCredential(issuer, { subject, capabilities: ["x"], ttlMs: 0 })).rejects.toThrow(
      /ttlMs/,
    );
  });
});

describe("the strict verifier refuses, each with its own reason", () => {
  const issuer = generateKeyPair();
  const other = generateKeyPair();
  const subject = generateKeyPair().did;
  const good = () => craft(edHeader(issuer), capabilityPayload(issuer.did, subject), (d) => issuer.sign(d));

  it("accepts the hand-built control token (so every refusal below is about the one thing changed)", async () => {
    expect((await verifyCapabilityCredential(good())).capabilities).toEqual(["translate"]);
  });

  it("alg none, HS256 (keyed with the issuer's public key, the classic confusion), ES256K", async () => {
    const payload = capabilityPayload(issuer.did, subject);
    const none = craft({ alg: "none", typ: "JWT", kid: didKeyVerificationMethod(issuer.did) }, payload, "");
    const hs = craft({ alg: "HS256", typ: "JWT", kid: didKeyVerificationMethod(issuer.did) }, payload, (d) =>
      createHmac("sha256", Buffer.from(issuer.publicKey)).update(d).digest(),
    );
    const es = craft({ alg: "ES256K", typ: "JWT", kid: didKeyVerificationMethod(issuer.did) }, payload, (d) =>
      issuer.sign(d),
    );
    for (const t of [none, hs, es])
      expect(await rejection(verifyCapabilityCredential(t))).toBe(CredentialRejection.AlgNotAllowed);
  });

  it("a missing kid, and a kid the issuer's DID document does not have", async () => {
    const payload = capabilityPayload(issuer.did, subject);
    expect(await rejection(verifyCapabilityCredential(craft({ alg: "EdDSA" }, payload, (d) => issuer.sign(d))))).toBe(
      CredentialRejection.KidMissing,
    );
    const unknown = craft({ alg: "EdDSA", kid: `${issuer.did}#key-2` }, payload, (d) => issuer.sign(d));
    expect(await rejection(verifyCapabilityCredential(unknown))).toBe(CredentialRejection.KidUnknown);
  });

  it("a kid of another DID, whichever key signed", async () => {
    const payload = capabilityPayload(issuer.did, subject);
    const signedByIssuer = craft(edHeader(other), payload, (d) => issuer.sign(d));
    const signedByOther = craft(edHeader(other), payload, (d) => other.sign(d));
    expect(await rejection(verifyCapabilityCredential(signedByIssuer))).toBe(CredentialRejection.KidNotIssuer);
    expect(await rejection(verifyCapabilityCredential(signedByOther))).toBe(CredentialRejection.KidNotIssuer);
    // did-jwt-vc alone accepts the first: it ignores kid and tries every key of iss. This is what the verifier adds.
    const resolver = new Resolver(getResolver());
    await expect(didJwtVcVerify(signedByIssuer, resolver, { proofPurpose: "assertionMethod" })).resolves.toMatchObject({
      issuer: issuer.did,
    });
  });

  it("iss that is not the credential's issuer", async () => {
    const t = craft(edHeader(issuer), capabilityPayload(issuer.did, subject, {}, { issuer: other.did }), (d) =>
      issuer.sign(d),
    );
    expect(await rejection(verifyCapabilityCredential(t))).toBe(CredentialRejection.IssuerMismatch);
    const same = craft(
      edHeader(issuer),
      capabilityPayload(issuer.did, subject, {}, { issuer: { id: issuer.did } }),
      (d) => issuer.sign(d),
    );
    expect(await rejection(verifyCapabilityCredential(same))).toBeUndefined();
  });

  it("a wrong audience, an audience where none is configured, and none where one is required", async () => {
    const ours = generateKeyPair().did;
    const forSomeoneElse = craft(edHeader(issuer), capabilityPayload(issuer.did, subject, { aud: other.did }), (d) =>
      issuer.sign(d),
    );
    expect(await rejection(verifyCapabilityCredential(forSomeoneElse, { audience: ours }))).toBe(
      CredentialRejection.WrongAudience,
    );
    expect(await rejection(verifyCapabilityCredential(forSomeoneElse))).toBe(CredentialRejection.WrongAudience);
    expect(await rejection(verifyCapabilityCredential(good(), { audience: ours, requireAudience: true }))).toBe(
      CredentialRejection.AudienceMissing,
    );
    const forUs = craft(edHeader(issuer), capabilityPayload(issuer.did, subject, { aud: [other.did, ours] }), (d) =>
      issuer.sign(d),
    );
    expect(
      await rejection(verifyCapabilityCredential(forUs, { audience: ours, requireAudience: true })),
    ).toBeUndefined();
  });

  it("expired, not yet valid (nbf), issued in the future (iat), with a small skew", async () => {
    const sign = (d: Uint8Array) => issuer.sign(d);
    const expired = craft(
      edHeader(issuer),
      capabilityPayload(issuer.did, subject, { nbf: now() - 7200, exp: now() - 3600 }),
      sign,
    );
    const early = craft(edHeader(issuer), capabilityPayload(issuer.did, subject, { nbf: now() + 3600 }), sign);
    const { nbf: _nbf, ...noNbf } = capabilityPayload(issuer.did, subject);
    const future = craft(edHeader(issuer), { ...noNbf, iat: now() + 3600 }, sign);
    expect(await rejection(verifyCapabilityCredential(expired))).toBe(CredentialRejection.Expired);
    expect(await rejection(verifyCapabilityCredential(early))).toBe(CredentialRejection.NotYetValid);
    expect(await rejection(verifyCapabilityCredential(future))).toBe(CredentialRejection.NotYetValid);
    // 30 s either side is within the default 60 s skew; the verifier's clock can be set.
    const edge = craft(
      edHeader(issuer),
      capabilityPayload(issuer.did, subject, { nbf: now() + 30, exp: now() + 90 }),
      sign,
    );
    expect(await rejection(verifyCapabilityCredential(edge))).toBeUndefined();
    expect(await rejection(verifyCapabilityCredential(edge, { now: Date.now() + 200_000 }))).toBe(
      CredentialRejection.Expired,
    );
    expect(await rejection(verifyCapabilityCredential(edge, { skewMs: 0 }))).toBe(CredentialRejection.NotYetValid);
  });

  it("a bad signature: a changed payload, or the right kid with another key's signature", async () => {
    const [h, , s] = good().split(".");
    const tampered = `${h}.${b64(capabilityPayload(issuer.did, subject, {}, { credentialSubject: { capabilities: ["admin"] } }))}.${s}`;
    expect(await rejection(verifyCapabilityCredential(tampered))).toBe(CredentialRejection.BadSignature);
    const forged = craft(edHeader(issuer), capabilityPayload(issuer.did, subject), (d) => other.sign(d));
    expect(await rejection(verifyCapabilityCredential(forged))).toBe(CredentialRejection.BadSignature);
  });

  it("the wrong credential type either way, and an untrusted membership issuer", async () => {
    const membership = await issueMembershipCredential(issuer, {
      id: "urn:uuid:0c5f6d8e-0000-4000-8000-000000000001",
      subject,
      mesh: "m",
      name: "a",
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    expect(await rejection(verifyCapabilityCredential(membership))).toBe(CredentialRejection.WrongType);
    expect(await rejection(verifyMembershipCredential(good(), new Set([issuer.did])))).toBe(
      CredentialRejection.WrongType,
    );
    expect(await rejection(verifyMembershipCredential(membership, new Set([other.did])))).toBe(
      CredentialRejection.IssuerUntrusted,
    );
    expect(await rejection(verifyMembershipCredential(membership, new Set([issuer.did]), { mesh: "other" }))).toBe(
      CredentialRejection.WrongMesh,
    );
    expect(await verifyMembershipCredential(membership, new Set([issuer.did]), { mesh: "m" })).toMatchObject({
      subject,
      mesh: "m",
      name: "a",
    });
    expect(await rejection(verifyPlexusCredential(membership))).toBe(CredentialRejection.IssuerUntrusted);
    expect(await verifyPlexusCredential(membership, { registries: new Set([issuer.did]) })).toMatchObject({
      kind: "membership",
      issuer: issuer.did,
    });
  });

  it("malformed tokens: not three segments, not JSON, no expiry, no id, a mesh of its own", async () => {
    const sign = (d: Uint8Array) => issuer.sign(d);
    const { exp: _exp, ...noExp } = capabilityPayload(issuer.did, subject);
    const { jti: _jti, ...noJti } = capabilityPayload(issuer.did, subject);
    for (const t of [
      "a.b",
      "!!.??.zz",
      `${b64(edHeader(issuer))}.bm90IGpzb24.AA`,
      craft(edHeader(issuer), noExp, sign),
      craft(edHeader(issuer), noJti, sign),
    ]) {
      expect(await rejection(verifyCapabilityCredential(t))).toBe(CredentialRejection.Malformed);
    }
    const { jwt } = await issueCapabilityCredential(issuer, {
      subject,
      capabilities: ["x"],
      ttlMs: 60_000,
      mesh: "m1",
    });
    expect(await rejection(verifyCapabilityCredential(jwt, { mesh: "m2" }))).toBe(CredentialRejection.WrongMesh);
  });
});

describe("assertion methods (a DID method whose documents list keys for other purposes)", () => {
  const key = generateKeyPair();
  const did = "did:example:issuer1";
  const kid = `${did}#signing`;
  function document(assertion: boolean, type = "Ed25519VerificationKey2018"): DIDDocument {
    return {
      id: did,
      verificationMethod: [{ id: kid, type, controller: did, publicKeyBase58: base58Encode(key.publicKey) }],
      authentication: [kid],
      ...(assertion ? { assertionMethod: [kid] } : { assertionMethod: [] }),
    };
  }
  const resolverFor = (doc: DIDDocument) =>
    new Resolver({
      example: async (): Promise<DIDResolutionResult> => ({
        didDocument: doc,
        didDocumentMetadata: {},
        didResolutionMetadata: { contentType: "application/did+json" },
      }),
    });
  const token = () =>
    craft({ alg: "EdDSA", typ: "JWT", kid }, capabilityPayload(did, generateKeyPair().did), (d) => key.sign(d));

  it("accepts the key when it is an assertion method", async () => {
    expect(await verifyCapabilityCredential(token(), { resolver: resolverFor(document(true)) })).toMatchObject({
      issuer: did,
    });
  });

  it("refuses a key that is only an authentication key", async () => {
    expect(await rejection(verifyCapabilityCredential(token(), { resolver: resolverFor(document(false)) }))).toBe(
      CredentialRejection.NotAssertionMethod,
    );
  });

  it("refuses a key that is not Ed25519, and an issuer that does not resolve", async () => {
    expect(
      await rejection(
        verifyCapabilityCredential(token(), {
          resolver: resolverFor(document(true, "EcdsaSecp256k1VerificationKey2019")),
        }),
      ),
    ).toBe(CredentialRejection.KeyUnsupported);
    expect(await rejection(verifyCapabilityCredential(token()))).toBe(CredentialRejection.IssuerUnresolvable);
  });
});

describe("membership credentials", () => {
  it("keep verifying as before, typed PlexusMembershipCredential", async () => {
    const registry = generateKeyPair();
    const subject = generateKeyPair().did;
    const jwt = await issueMembershipCredential(registry, {
      id: "urn:uuid:0c5f6d8e-0000-4000-8000-000000000002",
      subject,
      mesh: "m",
      name: "alice",
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());
    expect(payload.vc.type).toEqual(["VerifiableCredential", MEMBERSHIP_CREDENTIAL_TYPE]);
    expect(await verifyMembershipCredential(jwt, new Set([registry.did]))).toMatchObject({
      subject,
      mesh: "m",
      name: "alice",
      id: "urn:uuid:0c5f6d8e-0000-4000-8000-000000000002",
    });
  });
});
