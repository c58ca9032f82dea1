/** Agent cards as resources: `plexus://agents/{did}`, listing the agents present in the mesh. */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, isPlexusError } from "@plexus/core";
import type { McpRegistry } from "./backend.js";
import { reasonOf } from "./results.js";

export const AGENT_URI_PREFIX = "plexus://agents/";
/** The MCP spec's code for an unknown resource. */
const RESOURCE_NOT_FOUND = -32002;
const NOT_FOUND = new Set<string>([ErrorCode.AgentNotFound, ErrorCode.InvalidArgument, ErrorCode.InvalidDid]);

export function agentUri(did: string): string {
  return `${AGENT_URI_PREFIX}${did}`;
}

export function registerAgentResources(server: McpServer, registry: McpRegistry): void {
  const template = new ResourceTemplate(`${AGENT_URI_PREFIX}{did}`, {
    list: async () => {
      const { result } = await registry.agents();
      return {
        resources: result.map((a) => ({
          uri: agentUri(a.did),
          name: a.name,
          title: `${a.name} (agent card)`,
          description: `${a.description} (${a.liveness}; capabilities: ${a.capabilities.join(", ") || "none"})`,
          mimeType: "application/json",
        })),
      };
    },
  });
  server.registerResource(
    "agent-card",
    template,
    {
      title: "Agent card",
      description: "The signed agent card an agent of the mesh joined with (JSON, schemas/agent-card.json)",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const raw = variables["did"];
      const did = decodeURIComponent(Array.isArray(raw) ? (raw[0] ?? "") : (raw ?? ""));
      try {
        const { result } = await registry.agent(did);
        return {
          contents: [{ uri: uri.toString(), mimeType: "application/json", text: JSON.stringify(result.card, null, 2) }],
        };
      } catch (err) {
        if (isPlexusError(err) && NOT_FOUND.has(err.code)) {
          throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${reasonOf(err)}`, { uri: uri.toString() });
        }
        throw err;
      }
    },
  );
}
