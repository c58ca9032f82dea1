/** Verifying a Plexus credential of either kind (membership or capability), for tools that take whatever they are given. */
import {
  CAPABILITY_CREDENTIAL_TYPE,
  verifyCapabilityCredential,
  type CapabilityClaims,
  type CapabilityVerifyOptions,
} from "./capability-credential.js";
import { MEMBERSHIP_CREDENTIAL_TYPE, verifyMembershipCredential, type MembershipClaims } from "./credentials.js";
import { CredentialRejection, credentialError } from "./vc-errors.js";
import { decodeJwt, stringList } from "./vc-jwt.js";

export type AnyCredential =
  | { kind: "membership"; issuer: string; claims: MembershipClaims }
  | { kind: "capability"; issuer: string; claims: CapabilityClaims };

export type PlexusVerifyOptions = CapabilityVerifyOptions & {
  /**
   * The registry keys of the mesh: a membership credential is valid only when one of them issued it. Without them a
   * membership credential is refused (issuer_untrusted): anyone can sign one for themselves, so its own `iss` proves
   * nothing. Capability credentials (any issuer) ignore this.
   */
  registries?: ReadonlySet<string>;
};

/**
 * Verifies `jwt` strictly as the kind its `vc.type` names. `issuers`, when given, limits who may have issued it (either
 * kind); a membership credential must moreover be issued by one of `registries`. `mesh`, when given, refuses a
 * credential bound to another mesh. Throws CREDENTIAL_INVALID with `details.reason`.
 */
export async function verifyPlexusCredential(jwt: string, options: PlexusVerifyOptions = {}): Promise<AnyCredential> {
  const { payload } = decodeJwt(jwt);
  const types = stringList(payload.vc?.type ?? [], "type");
  const { registries, ...rest } = options;
  if (types.includes(MEMBERSHIP_CREDENTIAL_TYPE)) {
    const { issuers, ...membershipOptions } = rest;
    const trusted = new Set([...(registries ?? [])].filter((did) => issuers === undefined || issuers.has(did)));
    const claims = await verifyMembershipCredential(jwt, trusted, membershipOptions);
    return { kind: "membership", issuer: payload.iss as string, claims };
  }
  if (types.includes(CAPABILITY_CREDENTIAL_TYPE)) {
    const claims = await verifyCapabilityCredential(jwt, rest);
    return { kind: "capability", issuer: claims.issuer, claims };
  }
  throw credentialError(
    CredentialRejection.WrongType,
    `not a Plexus credential (type ${types.join(", ") || "missing"})`,
  );
}
