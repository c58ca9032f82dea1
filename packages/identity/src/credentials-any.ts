/** Verifying a Plexus credential of either kind (membership or capability), for tools that take whatever they are given. */
import { CAPABILITY_CREDENTIAL_TYPE, verifyCapabilityCredential, type CapabilityClaims, type CapabilityVerifyOptions } from "./capability-credential.js";
import { MEMBERSHIP_CREDENTIAL_TYPE, verifyMembershipCredential, type MembershipClaims } from "./credentials.js";
import { CredentialRejection, credentialError } from "./vc-errors.js";
import { decodeJwt, stringList } from "./vc-jwt.js";

export type AnyCredential =
  | { kind: "membership"; issuer: string; claims: MembershipClaims }
  | { kind: "capability"; issuer: string; claims: CapabilityClaims };

/**
 * Verifies `jwt` strictly as the kind its `vc.type` names. `issuers`, when given, limits who may have issued it
 * (for membership credentials: the trusted registries). Throws CREDENTIAL_INVALID with `details.reason`.
 */
export async function verifyPlexusCredential(jwt: string, options: CapabilityVerifyOptions = {}): Promise<AnyCredential> {
  const { payload } = decodeJwt(jwt);
  const types = stringList(payload.vc?.type ?? [], "type");
  if (types.includes(MEMBERSHIP_CREDENTIAL_TYPE)) {
    const iss = typeof payload.iss === "string" ? payload.iss : "";
    const { issuers, ...rest } = options;
    const claims = await verifyMembershipCredential(jwt, issuers ?? new Set([iss]), rest);
    return { kind: "membership", issuer: iss, claims };
  }
  if (types.includes(CAPABILITY_CREDENTIAL_TYPE)) {
    const claims = await verifyCapabilityCredential(jwt, options);
    return { kind: "capability", issuer: claims.issuer, claims };
  }
  throw credentialError(CredentialRejection.WrongType, `not a Plexus credential (type ${types.join(", ") || "missing"})`);
}
