/**
 * @plexus/identity — who an agent is (layer: packages; imports core): did:key (Ed25519), DID documents, key files
 * (0600), envelope signatures, membership and capability credentials (VC-JWT) and their strict verifier.
 */
export { base58Encode, base58Decode } from "./base58.js";
export {
  encodeMultibaseKey,
  publicKeyMultibase,
  didFromPublicKey,
  publicKeyFromDid,
  isDid,
  didKeyId,
  didFromKeyId,
} from "./did-key.js";
export { x25519PublicKeyFromEd25519, x25519PrivateKeyFromEd25519Seed, x25519PublicKeyMultibase } from "./x25519.js";
export { resolveDidDocument } from "./did-document.js";
export { KeyPair, keyPairFromSeed, generateKeyPair, verifySignature } from "./keypair.js";
export { KeyStore, defaultKeysDir, resolveAgentRef } from "./key-store.js";
export { signEnvelope, verifyEnvelope, envelopeHash } from "./envelope-signature.js";
export { issueMembershipCredential, verifyMembershipCredential } from "./credentials.js";
export { issueCapabilityCredential, verifyCapabilityCredential } from "./capability-credential.js";
export type { CapabilityClaims, IssueCapabilityOptions } from "./capability-credential.js";
export { verifyPlexusCredential } from "./credentials-any.js";
export type { AnyCredential, PlexusVerifyOptions } from "./credentials-any.js";
export { CredentialRejection, credentialRejectionOf } from "./vc-errors.js";
export { verifyVcJwt } from "./vc-verify.js";
export { signVcJwt } from "./vc-issue.js";
export { decodeJwt } from "./vc-jwt.js";
export { didKeyResolver } from "./vc-resolver.js";
export type { Resolvable } from "./vc-resolver.js";
