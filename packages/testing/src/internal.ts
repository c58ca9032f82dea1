/**
 * @plexus/testing/internal — for Plexus's own packages; no compatibility promise. Holds the hostile-input corpus and
 * permission probes Plexus's own suites run against the registry and the CLI, and the JOSE type constants.
 */
export { hostileMessages, junkRecords, validEnvelope } from "./hostile.js";
export type { HostileContext } from "./hostile.js";
export { permissionViolations } from "./violations.js";
export { JOSE_MEMBERSHIP_TYPE, JOSE_CAPABILITY_TYPE } from "./jose-tokens.js";
