/**
 * @plexus/bus/internal — for Plexus's own packages; no compatibility promise. Holds the auth folder's files and
 * helpers (operator, service and bootstrap creds), inbox prefixes, history stream settings and anchors file, user-JWT
 * claims and revocation internals: what the test harness, the registry, the SDK, audit and the CLI share to run a
 * mesh.
 */
export { historyStreamSettings } from "./mesh-stream.js";
export {
  assertPlaceable,
  assertReplicas,
  meshSettingsOf,
  replicasError,
  replicasFor,
  whilePlacing,
  withMeshSettings,
} from "./mesh-settings.js";
export { meshStreamNames } from "./auth/service-permissions.js";
export { compareVersions } from "./launcher/index.js";
export { parseCreds } from "./auth/fast-nkey.js";
export { agentInboxPrefix, BOOTSTRAP_INBOX_PREFIX } from "./auth/permissions.js";
export { sealerBucket } from "./auth/service-permissions.js";
export { historyStreams } from "./history/names.js";
export { ANCHORS_FILE } from "./history/anchors.js";
export { weakenedHistoryStreams } from "./history/guard.js";
export { AuthFile, ensureOperator, hasMeshAuth, readBootstrapCreds, readServiceCreds } from "./auth/auth-folder.js";
export { userClaims, DEFAULT_USER_TTL_MS } from "./auth/user-jwt.js";
export { revokedUsers, pushMeshAccount } from "./auth/revocation.js";
export { SERVER_CONFIG_FILE, writeServerConfig } from "./auth/server-config.js";
