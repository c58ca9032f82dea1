/**
 * Issuing VC-JWTs with did-jwt-vc: alg EdDSA, a `kid` header naming the issuer's verification method (independent
 * verifiers such as DIDKit refuse a VC-JWT without one), `jti`, `nbf`, `exp`. Signed with the issuer's KeyPair
 * directly, so the seed never leaves it.
 */
import { randomUUID } from "node:crypto";
import type { Issuer } from "did-jwt-vc";
import { ErrorCode, PlexusError } from "@plexus/core";
import { didKeyId } from "./did-key.js";
import type { KeyPair } from "./keypair.js";
import { VC_BASE_TYPE, VC_CONTEXT_V1 } from "./vc-verify.js";
import { didJwtVc } from "./vc-lib.js";

export interface VcJwtFields {
  /** The credential's own type, next to VerifiableCredential. */
  type: string;
  /** Credential id (`jti`); default a fresh urn:uuid. */
  id?: string;
  subject: string;
  /** The claims about the subject (its `id` is carried in `sub`). */
  credentialSubject: Record<string, unknown>;
  /** ms; becomes `nbf`. */
  issuedAt: number;
  /** ms; becomes `exp`. */
  expiresAt: number;
  /** Optional `aud`: whom the credential is for. */
  audience?: string | string[];
}

/** The verification method id of a did:key's own key: `did:key:z6Mk…#z6Mk…`. */
export function didKeyVerificationMethod(did: string): string {
  return `${did}#${didKeyId(did)}`;
}

export function newCredentialId(): string {
  return `urn:uuid:${randomUUID()}`;
}

function issuerOf(key: KeyPair): Issuer {
  return {
    did: key.did,
    alg: "EdDSA",
    signer: async (data) => key.signBase64url(typeof data === "string" ? new TextEncoder().encode(data) : data),
  };
}

/** Signs a VC-JWT of `fields.type` about `fields.subject`; returns the compact JWT and its id. */
export async function signVcJwt(issuer: KeyPair, fields: VcJwtFields): Promise<{ jwt: string; id: string }> {
  const { issuedAt, expiresAt } = fields;
  if (!(Number.isFinite(issuedAt) && Number.isFinite(expiresAt) && expiresAt > issuedAt)) {
    throw new PlexusError(ErrorCode.InvalidArgument, "a credential needs issuedAt < expiresAt (ms)");
  }
  const id = fields.id ?? newCredentialId();
  const { createVerifiableCredentialJwt } = await didJwtVc();
  const jwt = await createVerifiableCredentialJwt(
    {
      sub: fields.subject,
      jti: id,
      nbf: Math.floor(issuedAt / 1000),
      exp: Math.floor(expiresAt / 1000),
      ...(fields.audience !== undefined ? { aud: fields.audience } : {}),
      vc: {
        "@context": [VC_CONTEXT_V1],
        type: [VC_BASE_TYPE, fields.type],
        credentialSubject: { ...fields.credentialSubject },
      },
    },
    issuerOf(issuer),
    { header: { alg: "EdDSA", kid: didKeyVerificationMethod(issuer.did) } },
  );
  return { jwt, id };
}
