/**
 * The `credential-status` query: what the mesh's log says about one credential, for verifiers that hold a VC-JWT
 * (plexus credential verify). Read-only and unsigned, like `trust-anchors`: it tells a verifier which keys are the
 * mesh's registry keys (a membership credential is valid only from one of them) and whether the credential was
 * revoked. The verifier checks the token itself; nothing here vouches for a token the registry never saw.
 */
import { ErrorCode, PlexusError } from "@plexus/core";

/** Longest credential id (the strict verifier's limit on `jti`). */
export const MAX_CREDENTIAL_ID_LENGTH = 200;
/** Longest issuer DID asked about. */
export const MAX_ISSUER_DID_LENGTH = 500;

/** A credential is named by its issuer and its id together (ids are chosen by issuers). */
export interface CredentialStatusQuery {
  id: string;
  issuer: string;
}

export interface CredentialRevocationView {
  /** Who revoked it: its issuer, or a registry of the mesh. */
  revokedBy: string;
  reason: string;
  at: number;
  /** Mesh stream sequence of the CredentialRevoked event. */
  seq: number;
}

export interface CredentialStatusView {
  id: string;
  issuer: string;
  /** The registry keys whose events count now: a membership credential must be issued by one of them. */
  registryKeys: string[];
  /** Registry keys rotated away from; their events count only up to `seq` (the rotation's log position). */
  retiredRegistryKeys: { did: string; seq: number }[];
  /** The log records this credential (issuer and id): presented as an attestation, or handed out at a join. */
  known: boolean;
  /** How the log records it, when `known`. */
  recordedAs: ("attestation" | "membership")[];
  /**
   * The agents holding it now (its subject, or the DID the subject rotated its key to: a credential naming a DID
   * that is not among them names a key rotated away).
   */
  holders: string[];
  /**
   * Set when the issuer's key was rotated away (an agent key rotation): the DID it is now. The registry counts nothing
   * such a key signs that the log had not recorded before (`rotated_key`).
   */
  issuerRotatedTo?: string;
  revoked: boolean;
  revocation?: CredentialRevocationView;
  /**
   * Set when this is the membership credential of an agent an operator has suspended (kill switch): the registry
   * does not count it while the suspension lasts, as if revoked.
   */
  suspended?: { agent: string; by: string; at: number; reason: string; seq: number };
}

/** Checks a credential-status request; throws INVALID_ARGUMENT naming the field. */
export function parseCredentialStatusQuery(payload: Record<string, unknown>): CredentialStatusQuery {
  const { id, issuer } = payload;
  const extra = Object.keys(payload).filter((k) => k !== "id" && k !== "issuer");
  if (extra.length > 0)
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `a credential-status request is { id, issuer }; unexpected ${extra.join(", ")}`,
    );
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_CREDENTIAL_ID_LENGTH) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `"id" must be the credential's id (1-${MAX_CREDENTIAL_ID_LENGTH} characters)`,
    );
  }
  if (typeof issuer !== "string" || !issuer.startsWith("did:") || issuer.length > MAX_ISSUER_DID_LENGTH) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `"issuer" must be the issuer's DID (up to ${MAX_ISSUER_DID_LENGTH} characters)`,
    );
  }
  return { id, issuer };
}
