export { base58Encode, base58Decode } from "./base58.js";
export {
  DID_KEY_PREFIX,
  ED25519_PUB_MULTICODEC,
  ED25519_PUBLIC_KEY_LENGTH,
  encodeMultibaseKey,
  publicKeyMultibase,
  didFromPublicKey,
  publicKeyFromDid,
  isDid,
  didKeyId,
  didFromKeyId,
  isSmallOrderKey,
} from "./did-key.js";
export {
  X25519_PUB_MULTICODEC,
  x25519PublicKeyFromEd25519,
  x25519PrivateKeyFromEd25519Seed,
  x25519PublicKeyMultibase,
} from "./x25519.js";
export { DID_CONTEXT_V1, DID_DOCUMENT_CONTEXT, DID_DOCUMENT_CONTEXT_JWK, resolveDidDocument } from "./did-document.js";
export type {
  DidDocument,
  VerificationMethod,
  Base58VerificationMethod,
  JwkVerificationMethod,
  OkpPublicJwk,
  PublicKeyFormat,
  ResolveOptions,
} from "./did-document.js";
export {
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  PUBLIC_KEY_CACHE_SIZE,
  KeyPair,
  keyPairFromSeed,
  generateKeyPair,
  verifySignature,
} from "./keypair.js";
export { KEY_NAME_PATTERN, KEY_FILE_VERSION, KeyStore, defaultKeysDir, resolveAgentRef } from "./key-store.js";
export type { KeyFile, KeyListEntry } from "./key-store.js";
export { signEnvelope, signingInput, attachSignature, WIRE_SIGNATURE_BYTES, verifyEnvelope, verifyEnvelopeAsync, envelopeHash } from "./envelope-signature.js";
export { CryptoPool, sharedCryptoPool } from "./crypto-pool.js";
export type { PoolSigner } from "./crypto-pool.js";
export { ed25519Backend } from "./sodium.js";
export { MEMBERSHIP_CREDENTIAL_TYPE, issueMembershipCredential, verifyMembershipCredential } from "./credentials.js";
export type { MembershipClaims, MembershipVerifyOptions } from "./credentials.js";
export {
  CAPABILITY_CREDENTIAL_TYPE,
  CAPABILITY_NAME_PATTERN,
  MAX_CREDENTIAL_CAPABILITIES,
  issueCapabilityCredential,
  verifyCapabilityCredential,
} from "./capability-credential.js";
export type { CapabilityClaims, IssueCapabilityOptions, CapabilityVerifyOptions } from "./capability-credential.js";
export { verifyPlexusCredential } from "./credentials-any.js";
export type { AnyCredential, PlexusVerifyOptions } from "./credentials-any.js";
export { CredentialRejection, credentialError, credentialRejectionOf } from "./vc-errors.js";
export { VC_CONTEXT_V1, VC_BASE_TYPE, DEFAULT_VC_SKEW_MS, verifyVcJwt } from "./vc-verify.js";
export type { VerifyVcOptions, VerifiedVc } from "./vc-verify.js";
export { signVcJwt, newCredentialId, didKeyVerificationMethod } from "./vc-issue.js";
export type { VcJwtFields } from "./vc-issue.js";
export { MAX_VC_JWT_LENGTH, decodeJwt, peekJwtPayload } from "./vc-jwt.js";
export type { DecodedJwt, JwtHeader, JwtPayload, VcClaim } from "./vc-jwt.js";
export { didKeyResolver } from "./vc-resolver.js";
export type { Resolvable } from "./vc-resolver.js";
export { sealTo, openSealed } from "./sealed-box.js";
export { writeNewPrivateFile, errnoCode } from "./private-file.js";
