/**
 * The strict verifier against tokens built by an independent JOSE library (panva/jose, @plexus/testing
 * jose-tokens.ts): a valid one of each kind verifies, every hostile variant is refused with its stable reason, a
 * `crit` header is refused however it is spelled (RFC 7515 §4.1.11), and a membership credential counts only from a
 * registry key the verifier was given.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Resolver } from "did-resolver";
import { getResolver } from "key-did-resolver";
import { verifyCredential as didJwtVcVerify } from "did-jwt-vc";
import { critTokens, hostileTokens, joseKey, joseMembership, joseSign, vcPayload, type JoseKey } from "../src/index.js";
import { JOSE_CAPABILITY_TYPE, JOSE_MEMBERSHIP_TYPE } from "../src/internal.js";
import {
  credentialRejectionOf,
  CredentialRejection,
  verifyPlexusCredential,
  type PlexusVerifyOptions,
} from "@plexus/identity";

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

const kinds = [
  { kind: "membership", type: JOSE_MEMBERSHIP_TYPE, claims: { mesh: "m", name: "alice" } },
  { kind: "capability", type: JOSE_CAPABILITY_TYPE, claims: { capabilities: ["translate"], mesh: "m" } },
] as const;

describe.each(kinds)("jose-built $kind credentials", ({ kind, type, claims }) => {
  let issuer: JoseKey;
  let other: JoseKey;
  let subject: JoseKey;
  const options = (): PlexusVerifyOptions => ({ registries: new Set([issuer.did]), mesh: "m" });
  const payload = () => vcPayload({ issuer: issuer.did, subject: subject.did, type, claims });

  beforeAll(async () => {
    [issuer, other, subject] = await Promise.all([joseKey(), joseKey(), joseKey()]);
  });

  it("a valid one verifies (the control every refusal below is measured against)", async () => {
    const verified = await verifyPlexusCredential(await joseSign(issuer, payload()), options());
    expect(verified).toMatchObject({ kind, issuer: issuer.did, claims: { subject: subject.did, mesh: "m" } });
  });

  it("every hostile variant is refused with its own reason", async () => {
    const tokens = await hostileTokens(issuer, other, payload());
    expect(tokens.length).toBeGreaterThanOrEqual(25);
    const got = await Promise.all(
      tokens.map(async (t) => [t.name, await rejection(verifyPlexusCredential(t.jwt, options()))] as const),
    );
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(tokens.map((t) => [t.name, t.reason])));
  });
});

describe("crit (RFC 7515 §4.1.11)", () => {
  it("did-jwt-vc alone accepts a token with an unknown critical extension; the strict verifier refuses every spelling of crit", async () => {
    const [issuer, subject] = await Promise.all([joseKey(), joseKey()]);
    const payload = vcPayload({
      issuer: issuer.did,
      subject: subject.did,
      type: JOSE_CAPABILITY_TYPE,
      claims: { capabilities: ["translate"] },
    });
    const tokens = await critTokens(issuer, payload);
    expect(tokens.map((t) => t.reason)).toEqual(tokens.map(() => CredentialRejection.CritUnsupported));
    // Why the check is ours: the library's own verification ignores crit (so the second opinion cannot be relied on).
    const resolver = new Resolver(getResolver());
    const unknownExtension = tokens[0]?.jwt as string;
    await expect(didJwtVcVerify(unknownExtension, resolver)).resolves.toMatchObject({ verified: true });
    for (const t of tokens)
      expect(await rejection(verifyPlexusCredential(t.jwt)), t.name).toBe(CredentialRejection.CritUnsupported);
  });
});

describe("membership credentials count only from a registry key of the mesh", () => {
  it("refuses one an arbitrary key signed for itself unless that key is among the registries given", async () => {
    const [self, registry] = await Promise.all([joseKey(), joseKey()]);
    const jwt = await joseMembership(self, self.did, "default");
    expect(await rejection(verifyPlexusCredential(jwt))).toBe(CredentialRejection.IssuerUntrusted);
    expect(await rejection(verifyPlexusCredential(jwt, { registries: new Set([registry.did]) }))).toBe(
      CredentialRejection.IssuerUntrusted,
    );
    expect(
      await rejection(
        verifyPlexusCredential(jwt, { registries: new Set([self.did]), issuers: new Set([registry.did]) }),
      ),
    ).toBe(CredentialRejection.IssuerUntrusted);
    expect(await verifyPlexusCredential(jwt, { registries: new Set([self.did]), mesh: "default" })).toMatchObject({
      kind: "membership",
      issuer: self.did,
    });
    expect(await rejection(verifyPlexusCredential(jwt, { registries: new Set([self.did]), mesh: "other" }))).toBe(
      CredentialRejection.WrongMesh,
    );
    // The mesh is named before the issuer: a credential of another mesh is not refused as merely untrusted here.
    expect(await rejection(verifyPlexusCredential(jwt, { mesh: "other" }))).toBe(CredentialRejection.WrongMesh);
  });
});
