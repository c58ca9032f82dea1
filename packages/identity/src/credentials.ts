/**
 * Membership credentials: W3C VC-JWTs that a registry issues to an agent it admitted (type
 * PlexusMembershipCredential, credentialSubject {id, mesh, name}). Issued and verified like every Plexus
 * credential (vc-issue.ts, vc-verify.ts).
 */
import type { KeyPair } from "./keypair.js";
import { CredentialRejection, credentialError } from "./vc-errors.js";
import { signVcJwt } from "./vc-issue.js";
import { verifyVcJwt, type VerifyVcOptions } from "./vc-verify.js";

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

export async function issueMembershipCredential(registry: KeyPair, claims: MembershipClaims): Promise<string> {
  const { jwt } = await signVcJwt(registry, {
    type: MEMBERSHIP_CREDENTIAL_TYPE,
    id: claims.id,
    subject: claims.subject,
    credentialSubject: { mesh: claims.mesh, name: claims.name },
    issuedAt: claims.issuedAt,
    expiresAt: claims.expiresAt,
  });
  return jwt;
}

/** What verifyMembershipCredential takes besides the issuers (see VerifyVcOptions). */
export type MembershipVerifyOptions = Omit<VerifyVcOptions, "type" | "issuers" | "checkSubject"> & { mesh?: string };

/**
 * Verifies a membership credential strictly (see verifyVcJwt), issued by one of `issuers` (the registries trusted),
 * and for `options.mesh` when given (checked before the issuer: a credential of another mesh is named wrong_mesh
 * though its issuer is, naturally, not a registry of this one); returns its claims. Throws PlexusError
 * CREDENTIAL_INVALID with `details.reason`.
 */
export async function verifyMembershipCredential(
  jwt: string,
  issuers: ReadonlySet<string>,
  options: MembershipVerifyOptions = {},
): Promise<MembershipClaims> {
  const { mesh: expectedMesh, ...rest } = options;
  const checkSubject = ({ mesh, name }: Record<string, unknown>): void => {
    if (typeof mesh !== "string" || typeof name !== "string")
      throw credentialError(CredentialRejection.Malformed, "a membership credential names a mesh and a name");
    if (expectedMesh !== undefined && mesh !== expectedMesh)
      throw credentialError(
        CredentialRejection.WrongMesh,
        `the credential is for mesh "${mesh}", not "${expectedMesh}"`,
      );
  };
  const v = await verifyVcJwt(jwt, { ...rest, type: MEMBERSHIP_CREDENTIAL_TYPE, issuers, checkSubject });
  // checkSubject saw these very values.
  const mesh = v.credentialSubject["mesh"] as string;
  const name = v.credentialSubject["name"] as string;
  return { id: v.id, subject: v.subject, mesh, name, issuedAt: v.issuedAt, expiresAt: v.expiresAt };
}
