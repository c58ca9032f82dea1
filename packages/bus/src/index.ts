/**
 * @plexus/bus — NATS for Plexus (layer: packages; imports core, identity): the connection, the mesh stream and its
 * history guard, durable publish, NATS operator-mode auth (accounts, users, permissions), and the nats-server launcher.
 */
export { connectBus } from "./connection.js";
export type { BusCredentials } from "./connection.js";
export { ensureMeshStream, meshStreamConfig, historyStreamSettings } from "./mesh-stream.js";
export { ensureTopicStream, topicStreamConfig } from "./topic-stream.js";
export { publishDurably } from "./durable-publish.js";
export { findNatsServer, compareVersions, launchNatsServer } from "./launcher/index.js";
export type { NatsServerProcess, LaunchOptions } from "./launcher/index.js";
export { userSeedOf, userPublicKeyOfDid } from "./auth/nkey-codec.js";
export { parseCreds } from "./auth/fast-nkey.js";
export { agentPermissions, readableFilters, agentInboxPrefix, BOOTSTRAP_INBOX_PREFIX } from "./auth/permissions.js";
export { servicePermissions, sealerBucket } from "./auth/service-permissions.js";
export { historyStreamNames, historyStreams } from "./history/names.js";
export { checkHistoryStream, weakenedSettings, lostHistory, isHistoryRefusal } from "./history/check.js";
export { HistoryAnchors, ANCHORS_FILE } from "./history/anchors.js";
export { HistoryGuard, checkHistoryStreams, weakenedHistoryStreams } from "./history/guard.js";
export {
  AuthFile,
  ensureOperator,
  ensureMeshAuth,
  loadMeshAuth,
  hasMeshAuth,
  readBootstrapCreds,
  readServiceCreds,
  readAdminCreds,
  ensureMeshUsers,
} from "./auth/auth-folder.js";
export type { MeshAuth } from "./auth/auth-folder.js";
export { operatorModeConfig } from "./auth/server-config.js";
export { issueAgentUser, userClaims, DEFAULT_USER_TTL_MS } from "./auth/user-jwt.js";
export type { NatsUserGrant } from "./auth/user-jwt.js";
export { revokeUser, unrevokeUser, revokedUsers, pushMeshAccount } from "./auth/revocation.js";
