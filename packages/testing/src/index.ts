export { startTestServer } from "./server.js";
export type { TestServer, TestServerOptions } from "./server.js";
export { useTestServer } from "./vitest.js";
export type { TestServerHandle } from "./vitest.js";
export { until } from "./until.js";
export type { OperatorAuth, AgentKeyLike } from "./operator.js";
export { hostileMessages, junkRecords, unsignedEnvelope, validEnvelope } from "./hostile.js";
export type { HostileContext, HostileMessage } from "./hostile.js";
export { permissionViolations } from "./violations.js";
