export { connectBus } from "./connection.js";
export type { BusConnectOptions, BusCredentials } from "./connection.js";
export { ensureMeshStream, meshStreamConfig, historyStreamSettings } from "./mesh-stream.js";
export type { MeshStreamOptions } from "./mesh-stream.js";
export { ensureTopicStream, topicStreamConfig } from "./topic-stream.js";
export { publishDurably } from "./durable-publish.js";
export type { DurablePublishOptions } from "./durable-publish.js";
export { findNatsServer, compareVersions, launchNatsServer } from "./launcher/index.js";
export type { NatsServerProcess, LaunchOptions } from "./launcher/index.js";
export { userSeedOf, userKeyPairOf, userPublicKeyOf, userPublicKeyOfDid, rawSeedOf } from "./auth/nkey-codec.js";
export { fastNKey, fastJwtAuthenticator, parseCreds } from "./auth/fast-nkey.js";
export {
  agentPermissions,
  bootstrapPermissions,
  readableFilters,
  deniedApi,
  agentInboxPrefix,
  BOOTSTRAP_INBOX_PREFIX,
  BOOTSTRAP_OPS,
} from "./auth/permissions.js";
export type { SubjectPermissions } from "./auth/permissions.js";
export { servicePermissions, meshBuckets, a2aTaskBucket, sealerBucket, SERVICE_DENIED_STREAM_VERBS } from "./auth/service-permissions.js";
export { historyStreamNames, historyStreams } from "./history/names.js";
export type { HistoryStreamNames } from "./history/names.js";
export { checkHistoryStream, weakenedSettings, lostHistory, historyRefusal, isHistoryRefusal, HISTORY_REFUSAL_CODES } from "./history/check.js";
export { HistoryAnchors, ANCHORS_FILE } from "./history/anchors.js";
export type { StreamAnchor, AnchorMatch } from "./history/anchors.js";
export { HistoryGuard, checkHistoryStreams, weakenedHistoryStreams, DEFAULT_HISTORY_CHECK_MS } from "./history/guard.js";
export type { HistoryGuardOptions } from "./history/guard.js";
export {
  AuthFile,
  MESH_ACCOUNT_LIMITS,
  ensureOperator,
  ensureMeshAuth,
  loadMeshAuth,
  hasMeshAuth,
  readBootstrapCreds,
  readServiceCreds,
  readAdminCreds,
  ensureMeshUsers,
  writeAuthFile,
} from "./auth/auth-folder.js";
export type { MeshAuth } from "./auth/auth-folder.js";
export { operatorModeConfig } from "./auth/server-config.js";
export { issueAgentUser, userClaims, DEFAULT_USER_TTL_MS } from "./auth/user-jwt.js";
export type { NatsUserGrant, IssueUserOptions } from "./auth/user-jwt.js";
export { revokeUser, unrevokeUser, revokedUsers, pushMeshAccount, REVOKED_UNTIL_UNREVOKED } from "./auth/revocation.js";
export type { AccountUpdateOptions } from "./auth/revocation.js";
