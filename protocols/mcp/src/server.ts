/** createPlexusMcpServer: the mesh's tools, agent-card resources and a prompt on one McpServer. */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { McpBackend } from "./backend.js";
import { registerPrompts } from "./prompts.js";
import { registerAgentResources } from "./resources.js";
import { registerAuditTool } from "./tools/audit.js";
import { registerDiscoveryTools } from "./tools/discovery.js";
import { registerMessagingTools } from "./tools/messaging.js";

export const DEFAULT_SERVER_INFO: Implementation = { name: "plexus", title: "Plexus agent mesh", version: "0.1.0" };

/**
 * A new MCP server over `backend`. discover_agents and get_agent always; send_message, read_inbox and rate_agent
 * when the backend has an identity; verify_audit when it has an audit verifier. One server serves one transport:
 * create one per stdio session, or one per HTTP request in stateless mode.
 */
export function createPlexusMcpServer(backend: McpBackend, info: Implementation = DEFAULT_SERVER_INFO): McpServer {
  const server = new McpServer(info, {
    capabilities: { logging: {} },
    instructions: instructions(backend),
  });
  registerDiscoveryTools(server, backend.registry);
  if (backend.identity) registerMessagingTools(server, backend.identity);
  if (backend.audit) registerAuditTool(server, backend.audit, backend.mesh);
  registerAgentResources(server, backend.registry);
  registerPrompts(server, { canMessage: backend.identity !== undefined });
  return server;
}

function instructions(backend: McpBackend): string {
  const who = backend.identity
    ? `You act as the agent ${backend.identity.did}: messages you send are signed with its key, and read_inbox reads its inbox.`
    : "This endpoint has no agent identity: it can discover agents and read their cards and reputation, not send messages.";
  return `Plexus mesh "${backend.mesh}": software agents identified by did:key DIDs, discovered through a registry ranked by reputation. ${who}`;
}
