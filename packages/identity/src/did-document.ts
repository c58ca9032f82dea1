/**
 * Resolution of an Ed25519 did:key to its DID document, in the shapes of the did:key spec's ed25519-x25519 vectors:
 * one signing key (Ed25519) and one derived key-agreement key (X25519), published either as
 * Ed25519VerificationKey2018 / X25519KeyAgreementKey2019 with `publicKeyBase58` (the default)
 * or as JsonWebKey2020 with `publicKeyJwk` (`publicKeyFormat: "JsonWebKey2020"`).
 */
import { base58Encode } from "./base58.js";
import { DID_KEY_PREFIX, publicKeyFromDid } from "./did-key.js";
import { x25519PublicKeyFromEd25519, x25519PublicKeyMultibase } from "./x25519.js";

export const DID_CONTEXT_V1 = "https://www.w3.org/ns/did/v1";
export const DID_DOCUMENT_CONTEXT = [
  DID_CONTEXT_V1,
  "https://w3id.org/security/suites/ed25519-2018/v1",
  "https://w3id.org/security/suites/x25519-2019/v1",
] as const;
export const DID_DOCUMENT_CONTEXT_JWK = [DID_CONTEXT_V1, "https://w3id.org/security/suites/jws-2020/v1"] as const;

export type PublicKeyFormat = "Ed25519VerificationKey2018" | "JsonWebKey2020";

export interface ResolveOptions {
  /** How keys are published. Default "Ed25519VerificationKey2018" (with X25519KeyAgreementKey2019). */
  publicKeyFormat?: PublicKeyFormat;
}

export interface Base58VerificationMethod {
  id: string;
  type: "Ed25519VerificationKey2018" | "X25519KeyAgreementKey2019";
  controller: string;
  publicKeyBase58: string;
}

export interface OkpPublicJwk {
  kty: "OKP";
  crv: "Ed25519" | "X25519";
  /** base64url (no padding) of the raw public key. */
  x: string;
}

export interface JwkVerificationMethod {
  id: string;
  type: "JsonWebKey2020";
  controller: string;
  publicKeyJwk: OkpPublicJwk;
}

export type VerificationMethod = Base58VerificationMethod | JwkVerificationMethod;

export interface DidDocument {
  "@context": string[];
  id: string;
  verificationMethod: VerificationMethod[];
  assertionMethod: string[];
  authentication: string[];
  capabilityInvocation: string[];
  capabilityDelegation: string[];
  keyAgreement: string[];
}

function jwk(crv: OkpPublicJwk["crv"], key: Uint8Array): OkpPublicJwk {
  return { kty: "OKP", crv, x: Buffer.from(key).toString("base64url") };
}

/** The DID document of an Ed25519 did:key. Throws PlexusError INVALID_DID for anything else. */
export function resolveDidDocument(did: string, options: ResolveOptions = {}): DidDocument {
  const edPub = publicKeyFromDid(did);
  const keyId = did.slice(DID_KEY_PREFIX.length);
  const xPub = x25519PublicKeyFromEd25519(edPub);

  const signingId = `${did}#${keyId}`;
  const agreementId = `${did}#${x25519PublicKeyMultibase(xPub)}`;

  const asJwk = options.publicKeyFormat === "JsonWebKey2020";
  const verificationMethod: VerificationMethod[] = asJwk
    ? [
        { id: signingId, type: "JsonWebKey2020", controller: did, publicKeyJwk: jwk("Ed25519", edPub) },
        { id: agreementId, type: "JsonWebKey2020", controller: did, publicKeyJwk: jwk("X25519", xPub) },
      ]
    : [
        { id: signingId, type: "Ed25519VerificationKey2018", controller: did, publicKeyBase58: base58Encode(edPub) },
        { id: agreementId, type: "X25519KeyAgreementKey2019", controller: did, publicKeyBase58: base58Encode(xPub) },
      ];

  return {
    "@context": asJwk ? [...DID_DOCUMENT_CONTEXT_JWK] : [...DID_DOCUMENT_CONTEXT],
    id: did,
    verificationMethod,
    assertionMethod: [signingId],
    authentication: [signingId],
    capabilityInvocation: [signingId],
    capabilityDelegation: [signingId],
    keyAgreement: [agreementId],
  };
}
