import type { Issuer } from "did-jwt-vc";
import type { Resolver } from "did-resolver";
import { ErrorCode, PlexusError } from "@plexus/core";
import { didKeyId } from "./did-key.js";
import type { KeyPair } from "./keypair.js";

/**
 * Membership credentials: W3C VC-JWTs (did-jwt-vc, alg EdDSA, `kid` header naming the issuer's verification
 * method) that a registry issues to an agent it admitted. Signed with the registry's KeyPair directly, so the
 * seed never leaves it.
 */
export const MEMBERSHIP_CREDENTIAL_TYPE = "PlexusMembershipCredential";

export interface MembershipClaims {
  /** Credential id (a URN). */
  id: string;
  subject: string;
  mesh: string;
  name: string;
  issuedAt: number;
  expiresAt: number;
}

function issuerOf(key: KeyPair): Issuer {
  return { did: key.did, alg: "EdDSA", signer: async (data) => key.signBase64url(typeof data === "string" ? new TextEncoder().encode(data) : data) };
}

/** did-jwt-vc and the resolvers load on first use: most processes (agents, the CLI) never issue or verify one. */
const vcLib = () => import("did-jwt-vc");

export async function issueMembershipCredential(registry: KeyPair, claims: MembershipClaims): Promise<string> {
  const { createVerifiableCredentialJwt } = await vcLib();
  return createVerifiableCredentialJwt(
    {
      sub: claims.subject,
      jti: claims.id,
      nbf: Math.floor(claims.issuedAt / 1000),
      exp: Math.floor(claims.expiresAt / 1000),
      vc: {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        type: ["VerifiableCredential", MEMBERSHIP_CREDENTIAL_TYPE],
        credentialSubject: { mesh: claims.mesh, name: claims.name },
      },
    },
    issuerOf(registry),
    { header: { alg: "EdDSA", kid: `${registry.did}#${didKeyId(registry.did)}` } },
  );
}

let resolver: Resolver | undefined;

/** Verifies a membership credential: signature, issuer among `issuers`, not expired; returns its claims. */
export async function verifyMembershipCredential(jwt: string, issuers: ReadonlySet<string>): Promise<MembershipClaims> {
  if (!resolver) {
    const [{ Resolver: DidResolver }, { getResolver }] = await Promise.all([import("did-resolver"), import("key-did-resolver")]);
    resolver = new DidResolver(getResolver());
  }
  const { verifyCredential } = await vcLib();
  let verified;
  try {
    verified = await verifyCredential(jwt, resolver);
  } catch (err) {
    throw new PlexusError(ErrorCode.SignatureInvalid, `membership credential does not verify: ${(err as Error).message}`, { cause: err });
  }
  const payload = verified.payload;
  if (!issuers.has(verified.issuer)) {
    throw new PlexusError(ErrorCode.SignatureInvalid, `membership credential issued by ${verified.issuer}, not a trusted registry`);
  }
  const subject = verified.verifiableCredential.credentialSubject as { id?: string; mesh?: string; name?: string };
  return {
    id: String(payload.jti ?? ""),
    subject: String(payload.sub ?? subject.id ?? ""),
    mesh: String(subject.mesh ?? ""),
    name: String(subject.name ?? ""),
    issuedAt: (payload.nbf ?? 0) * 1000,
    expiresAt: (payload.exp ?? 0) * 1000,
  };
}
