export { connectBus } from "./connection.js";
export type { BusConnectOptions } from "./connection.js";
export { ensureMeshStream, meshStreamConfig, historyStreamSettings } from "./mesh-stream.js";
export type { MeshStreamOptions } from "./mesh-stream.js";
export { publishDurably } from "./durable-publish.js";
export type { DurablePublishOptions } from "./durable-publish.js";
export { findNatsServer, compareVersions, launchNatsServer } from "./launcher/index.js";
export type { NatsServerProcess, LaunchOptions } from "./launcher/index.js";
