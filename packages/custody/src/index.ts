/**
 * @plexus/custody — Shamir custody of a key (layer: packages; imports core, identity): share files with a
 * commitment, a fail-closed combine, and signed unseal requests.
 */
export { commitmentBinding, computeShareTag, serializeShare, parseShare, checkShare } from "./share-format.js";
export type { KeyShare } from "./share-format.js";
export { checkSplitOptions, splitSeed, checkShareSet, combineShares, restoreKeyPair } from "./split.js";
export { writeShareFiles, shareFileName, readShareFile, readShareFiles } from "./share-files.js";
export { unsealSigningInput, signUnsealRequest, verifyUnsealRequest } from "./unseal-request.js";
export { sendUnsealShare } from "./unseal-client.js";
