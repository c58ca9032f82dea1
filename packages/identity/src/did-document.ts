/**
 * Resolution of an Ed25519 did:key to its DID document (the shape of the did:key spec's ed25519-x25519 vectors):
 * one Ed25519VerificationKey2018 for signing and one derived X25519KeyAgreementKey2019 for key agreement.
 */
import { base58Encode } from "./base58.js";
import { publicKeyFromDid } from "./did-key.js";
import { x25519PublicKeyFromEd25519, x25519PublicKeyMultibase } from "./x25519.js";

export const DID_DOCUMENT_CONTEXT = [
  "https://www.w3.org/ns/did/v1",
  "https://w3id.org/security/suites/ed25519-2018/v1",
  "https://w3id.org/security/suites/x25519-2019/v1",
] as const;

export interface VerificationMethod {
  id: string;
  type: "Ed25519VerificationKey2018" | "X25519KeyAgreementKey2019";
  controller: string;
  publicKeyBase58: string;
}

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

/** The DID document of an Ed25519 did:key. Throws PlexusError INVALID_DID for anything else. */
export function resolveDidDocument(did: string): DidDocument {
  const edPub = publicKeyFromDid(did);
  const keyId = did.slice("did:key:".length);
  const xPub = x25519PublicKeyFromEd25519(edPub);

  const signingId = `${did}#${keyId}`;
  const agreementId = `${did}#${x25519PublicKeyMultibase(xPub)}`;

  return {
    "@context": [...DID_DOCUMENT_CONTEXT],
    id: did,
    verificationMethod: [
      { id: signingId, type: "Ed25519VerificationKey2018", controller: did, publicKeyBase58: base58Encode(edPub) },
      { id: agreementId, type: "X25519KeyAgreementKey2019", controller: did, publicKeyBase58: base58Encode(xPub) },
    ],
    assertionMethod: [signingId],
    authentication: [signingId],
    capabilityInvocation: [signingId],
    capabilityDelegation: [signingId],
    keyAgreement: [agreementId],
  };
}
