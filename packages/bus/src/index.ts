/**
 * @plexus/bus — NATS for Plexus (layer: packages; imports core, identity): the connection, the mesh stream and its
 * history guard, durable publish, NATS operator-mode auth (accounts, users, permissions), and the nats-server launcher.
 */
export { connectBus } from "./connection.js";
export type { BusCredentials } from "./connection.js";
export { ensureMeshStream, meshStreamConfig } from "./mesh-stream.js";
export { ensureTopicStream, topicStreamConfig } from "./topic-stream.js";
export { readMeshSettings, MESH_REPLICAS_KEY, MAX_REPLICAS } from "./mesh-settings.js";
export type { MeshSettings } from "./mesh-settings.js";
export { replicationReport } from "./replication-report.js";
export type { ReplicationReport, StreamReplication, ReplicaPeer } from "./replication-report.js";
export { watchReplication } from "./replication-watch.js";
export type { ReplicationWatch, ReplicationWatchOptions } from "./replication-watch.js";
export { setMeshReplicas } from "./mesh-replicas.js";
export { publishDurably } from "./durable-publish.js";
export { waitForJetStream, waitForJetStreamAt, startWithJetStream } from "./jetstream-wait.js";
export type { WaitForJetStreamOptions } from "./jetstream-wait.js";
export { jetStreamError, isJetStreamUnavailable } from "./jetstream-errors.js";
export { findNatsServer, launchNatsServer } from "./launcher/index.js";
export type { NatsServerProcess, LaunchOptions } from "./launcher/index.js";
export { userSeedOf, userPublicKeyOfDid } from "./auth/nkey-codec.js";
export { agentPermissions, readableFilters } from "./auth/permissions.js";
export { servicePermissions } from "./auth/service-permissions.js";
export { historyStreamNames } from "./history/names.js";
export { checkHistoryStream, weakenedSettings, lostHistory, isHistoryRefusal } from "./history/check.js";
export { HistoryAnchors } from "./history/anchors.js";
export { HistoryGuard, checkHistoryStreams } from "./history/guard.js";
export { ensureMeshAuth, loadMeshAuth, readAdminCreds, ensureMeshUsers } from "./auth/auth-folder.js";
export type { MeshAuth } from "./auth/auth-folder.js";
export { operatorModeConfig } from "./auth/server-config.js";
export { issueAgentUser } from "./auth/user-jwt.js";
export type { NatsUserGrant } from "./auth/user-jwt.js";
export { revokeUser, unrevokeUser } from "./auth/revocation.js";
