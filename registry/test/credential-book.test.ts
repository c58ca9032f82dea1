import { describe, expect, it } from "vitest";
import { CredentialBook, type Attestation } from "../src/projection/credentials.js";

const OLD = "did:key:z6MkOld";
const NEW = "did:key:z6MkNew";
const OTHER = "did:key:z6MkOther";
const CERT = "did:key:z6MkCertifier";
const ACME = "did:key:z6MkAcme";
const REGISTRY = "did:key:z6MkRegistry";

function attestation(
  id: string,
  subject: string,
  issuer: string,
  capabilities: string[],
  expiresAt = 10_000,
): Attestation {
  return { id, issuer, subject, capabilities, issuedAt: 0, expiresAt, seq: 1 };
}

describe("CredentialBook", () => {
  it("counts an attestation until it expires or is revoked; revocations are per issuer and id", () => {
    const book = new CredentialBook();
    book.attest(attestation("urn:1", OLD, CERT, ["translate"], 5_000));
    book.attest(attestation("urn:1", OTHER, ACME, ["translate"]));
    expect(book.claims(OLD, ["translate", "summarise"], 1_000)).toEqual([
      {
        name: "translate",
        attested: true,
        attestedBy: [{ issuer: CERT, credentialId: "urn:1", issuedAt: 0, expiresAt: 5_000 }],
      },
      { name: "summarise", attested: false, attestedBy: [] },
    ]);
    expect(book.attests(OLD, ["translate"], 4_999)).toBe(true);
    expect(book.attests(OLD, ["translate"], 5_000)).toBe(false);
    // ACME revoking its own urn:1 does not touch CERT's urn:1.
    book.revoke({ credentialId: "urn:1", issuer: ACME, revokedBy: ACME, reason: "", at: 2, seq: 2 });
    expect(book.attests(OTHER, ["translate"], 1_000)).toBe(false);
    expect(book.attests(OLD, ["translate"], 1_000)).toBe(true);
    expect(book.attests(OLD, ["translate"], 1_000, "translate", ACME)).toBe(false);
    expect(book.attest(attestation("urn:1", OTHER, ACME, ["translate"]))).toBe(false);
    expect(
      book
        .find("urn:1")
        .attestations.map((a) => a.issuer)
        .sort(),
    ).toEqual([ACME, CERT].sort());
  });

  it("moveSubject: attestations and the membership reference follow the agent to its new DID; revocations still apply", () => {
    const book = new CredentialBook();
    book.attest(attestation("urn:a", OLD, CERT, ["translate"]));
    book.attest(attestation("urn:b", OLD, ACME, ["summarise"]));
    book.attest(attestation("urn:c", NEW, CERT, ["review"]));
    book.setMembership(OLD, { id: "urn:m", issuer: REGISTRY });
    book.moveSubject(OLD, NEW);

    expect(book.all(OLD)).toEqual([]);
    expect(book.attests(OLD, ["translate"], 1_000)).toBe(false);
    expect(
      book
        .claims(NEW, ["translate", "summarise", "review"], 1_000)
        .map((c) => [c.name, c.attestedBy.map((a) => a.issuer)]),
    ).toEqual([
      ["translate", [CERT]],
      ["summarise", [ACME]],
      ["review", [CERT]],
    ]);
    expect(book.all(NEW).every((a) => a.subject === NEW)).toBe(true);
    expect(book.find("urn:a").attestations.map((a) => a.subject)).toEqual([NEW]);
    expect(book.membership(NEW)).toEqual({ id: "urn:m", issuer: REGISTRY });
    expect(book.membership(OLD)).toBeUndefined();

    book.revoke({ credentialId: "urn:a", issuer: CERT, revokedBy: CERT, reason: "", at: 3, seq: 3 });
    expect(book.attests(NEW, ["translate"], 1_000)).toBe(false);
    book.revoke({ credentialId: "urn:m", issuer: REGISTRY, revokedBy: REGISTRY, reason: "", at: 4, seq: 4 });
    expect(book.membershipRevoked(NEW)).toBe(true);
    book.moveSubject(NEW, NEW);
    expect(book.all(NEW)).toHaveLength(3);
  });

  it("a snapshot round trip keeps attestations (revoked ones too), revocations and memberships", () => {
    const book = new CredentialBook();
    book.attest(attestation("urn:a", OLD, CERT, ["translate"]));
    book.attest(attestation("urn:b", OLD, ACME, ["summarise"]));
    book.revoke({ credentialId: "urn:b", issuer: ACME, revokedBy: REGISTRY, reason: "withdrawn", at: 5, seq: 5 });
    book.setMembership(OLD, { id: "urn:m", issuer: REGISTRY });
    const copy = CredentialBook.fromJSON(JSON.parse(JSON.stringify(book.toJSON())));
    expect(copy.toJSON()).toEqual(book.toJSON());
    expect(copy.claims(OLD, ["translate", "summarise"], 1_000)).toEqual(
      book.claims(OLD, ["translate", "summarise"], 1_000),
    );
    expect(copy.revocation(ACME, "urn:b")).toMatchObject({ revokedBy: REGISTRY, reason: "withdrawn" });
    expect(copy.size).toEqual({ attestations: 2, revoked: 1 });
  });
});
