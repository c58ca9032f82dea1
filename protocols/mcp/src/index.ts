/**
 * @plexus/mcp — the MCP server (layer: protocols; imports packages, anp, sdk): discovery, messaging, rating and audit
 * as MCP tools, over stdio (as an agent) or Streamable HTTP (a registry node's /mcp, injected by @plexus/nodes).
 */
export { createPlexusMcpServer } from "./server.js";
export type { McpBackend } from "./backend.js";
export { createAgentBackend } from "./agent-backend.js";
export { createQueriesBackend } from "./queries-backend.js";
export { jetStreamAudit, auditWhenPresent, auditChainExists } from "./audit-source.js";
export { InboxReader } from "./inbox.js";
export { createMcpHttpHandler } from "./http.js";
export { allowedHosts, isLocalOrigin, rebindingRefusal } from "./host-guard.js";
export { serveStdio } from "./stdio.js";
export { agentUri } from "./resources.js";
export { DID_PATTERN } from "./schemas.js";
