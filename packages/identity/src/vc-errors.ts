import { ErrorCode, PlexusError } from "@plexus/core";

/**
 * Why a VC-JWT was refused. Stable: callers (the registry, the CLI, tests) branch on these, never on message text.
 * Every refusal is a PlexusError CREDENTIAL_INVALID with `details.reason` set to one of them.
 */
export const CredentialRejection = {
  /** Not three base64url segments of JSON objects, a required claim missing or of the wrong shape, too long. */
  Malformed: "malformed",
  /** `alg` is not EdDSA: `none`, HS256 (a shared secret), ES256K… */
  AlgNotAllowed: "alg_not_allowed",
  /**
   * The header has a `crit` parameter. RFC 7515 §4.1.11: a recipient that does not understand every extension `crit`
   * names must refuse the JWS. Plexus understands no JWS extension, so any `crit` is refused, whatever its value (an
   * unknown extension, `[]`, a non-array: the malformed ones too, with this same reason).
   */
  CritUnsupported: "crit_unsupported",
  /** No `kid` header naming the signing key. */
  KidMissing: "kid_missing",
  /** The `kid` is not a verification method of the issuer's DID document. */
  KidUnknown: "kid_unknown",
  /** The `kid` is a key of another DID than the issuer (`iss`). */
  KidNotIssuer: "kid_not_issuer",
  /** `iss` and the credential's `issuer` differ. */
  IssuerMismatch: "issuer_mismatch",
  /** The issuer is not one the verifier accepts (membership: not a trusted registry). */
  IssuerUntrusted: "issuer_untrusted",
  /** The issuer's DID could not be resolved to a DID document. */
  IssuerUnresolvable: "issuer_unresolvable",
  /** The token names an audience that is not the verifier's. */
  WrongAudience: "wrong_audience",
  /** The verifier requires an audience and the token names none. */
  AudienceMissing: "audience_missing",
  /** `exp` is past. */
  Expired: "expired",
  /** `nbf` or `iat` is in the future (beyond the allowed clock skew). */
  NotYetValid: "not_yet_valid",
  /** The signing key is in the DID document but not among its assertion methods. */
  NotAssertionMethod: "not_assertion_method",
  /** The signing key is not an Ed25519 key. */
  KeyUnsupported: "key_unsupported",
  /** The signature does not verify with the `kid`'s key. */
  BadSignature: "bad_signature",
  /** The credential is not of the expected type (a membership credential where a capability one was expected…). */
  WrongType: "wrong_type",
  /** The credential is bound to another mesh than the verifier's. */
  WrongMesh: "wrong_mesh",
  /** did-jwt-vc's own verification refused what passed every check above (kept as a second opinion). */
  LibraryRejected: "library_rejected",
} as const;
export type CredentialRejection = (typeof CredentialRejection)[keyof typeof CredentialRejection];

export function credentialError(reason: CredentialRejection, message: string, cause?: unknown): PlexusError {
  return new PlexusError(ErrorCode.CredentialInvalid, `credential refused (${reason}): ${message}`, {
    details: { reason },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The stable reason of a CREDENTIAL_INVALID error, or undefined for any other error. */
export function credentialRejectionOf(err: unknown): CredentialRejection | undefined {
  if (!(err instanceof PlexusError) || err.code !== ErrorCode.CredentialInvalid) return undefined;
  const reason = err.details?.["reason"];
  return typeof reason === "string" ? (reason as CredentialRejection) : undefined;
}
