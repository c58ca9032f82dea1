/**
 * @plexus/identity/internal — for Plexus's own packages; no compatibility promise. Holds constants and helpers
 * custody, acp, anp, the registry, the CLI and bench share: key-name and capability-name patterns, the
 * envelope-signature pieces (signing input, attach, the async check on the crypto pool), the sealed box anp uses, an
 * unverified JWT payload peek, and the private-file writer custody stores shares with.
 */
export { DID_KEY_PREFIX } from "./did-key.js";
export { ED25519_SEED_LENGTH } from "./keypair.js";
export { KEY_NAME_PATTERN } from "./key-store.js";
export { signingInput, attachSignature, WIRE_SIGNATURE_BYTES, verifyEnvelopeAsync } from "./envelope-signature.js";
export { CryptoPool, sharedCryptoPool } from "./crypto-pool.js";
export { ed25519Backend } from "./sodium.js";
export { CAPABILITY_NAME_PATTERN } from "./capability-credential.js";
export { peekJwtPayload } from "./vc-jwt.js";
export { sealTo, openSealed } from "./sealed-box.js";
export { writeNewPrivateFile, errnoCode } from "./private-file.js";
