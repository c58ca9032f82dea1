/** discover_agents and get_agent: the registry's discovery query and one agent's view with its reputation. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { DiscoverQuery, DiscoverResult } from "@plexus/anp";
import type { McpRegistry } from "../backend.js";
import { guarded, success } from "../results.js";
import { discoverInput, discoverOutput, getAgentInput, getAgentOutput } from "../schemas.js";

type DiscoverArgs = {
  capability?: string;
  query?: string;
  tag?: string;
  min_score?: number;
  include_offline?: boolean;
  limit?: number;
  verified_only?: boolean;
  issuer?: string;
};

export function registerDiscoveryTools(server: McpServer, registry: McpRegistry): void {
  server.registerTool(
    "discover_agents",
    {
      title: "Discover agents",
      description:
        "Find agents of the Plexus mesh by capability, free text or tag, ranked best first by relevance × reputation × liveness. " +
        "All filters are optional; with none, lists the best agents present. Each capability is marked self-declared or attested (by whom); " +
        "verified_only keeps agents whose matched capability is attested by a live credential. Use the returned did with get_agent or send_message.",
      inputSchema: discoverInput,
      outputSchema: discoverOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const { result, asOf } = await registry.discover(discoverQuery(args));
        return success(discoverText(result), { agents: result, asOf });
      }),
  );

  server.registerTool(
    "get_agent",
    {
      title: "Get an agent",
      description:
        "An agent's card (name, description, capabilities with their input/output JSON Schemas, tags), liveness, membership credential status and reputation (score, five factors, trust).",
      inputSchema: getAgentInput,
      outputSchema: getAgentOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ did }) =>
      guarded(async () => {
        const [agent, reputation] = await Promise.all([registry.agent(did), registry.reputation(did)]);
        const a = agent.result;
        const r = reputation.result;
        const text = `${a.name} (${a.did}): ${a.liveness}${a.present ? "" : ", left the mesh"}; score ${r.score.toFixed(2)}${r.newcomer ? " (newcomer)" : ""}; capabilities: ${a.capabilities.join(", ") || "none"}. ${a.description}`;
        return success(text, { agent: a, reputation: r, asOf: agent.asOf });
      }),
  );
}

function discoverQuery(args: DiscoverArgs): DiscoverQuery {
  const query: DiscoverQuery = {};
  if (args.capability !== undefined) query.capability = args.capability;
  if (args.query !== undefined) query.q = args.query;
  if (args.tag !== undefined) query.tag = args.tag;
  if (args.min_score !== undefined) query.minScore = args.min_score;
  if (args.include_offline !== undefined) query.includeOffline = args.include_offline;
  if (args.limit !== undefined) query.limit = args.limit;
  if (args.verified_only !== undefined) query.verifiedOnly = args.verified_only;
  if (args.issuer !== undefined) query.issuer = args.issuer;
  return query;
}

function discoverText(results: readonly DiscoverResult[]): string {
  if (results.length === 0) return "No agent matches.";
  const lines = results.map(
    (r, i) =>
      `${i + 1}. ${r.name} ${r.did}: ${r.liveness}, score ${r.score.toFixed(2)}${r.newcomer ? " (newcomer)" : ""}, capabilities: ${capabilitiesText(r) || "none"}`,
  );
  return `${results.length} agent${results.length === 1 ? "" : "s"}, best first:\n${lines.join("\n")}`;
}

/** `translate (attested by did:key:…), summarise (self-declared)`. */
function capabilitiesText(r: DiscoverResult): string {
  if (!r.claims) return r.capabilities.join(", ");
  return r.claims
    .map(
      (c) =>
        `${c.name} (${c.attested ? `attested by ${[...new Set(c.attestedBy.map((a) => a.issuer))].join(", ")}` : "self-declared"})`,
    )
    .join(", ");
}
