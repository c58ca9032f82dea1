/**
 * The in-process backend of a registry node (what its HTTP server serves at /mcp): the node's own query API, no
 * identity, and the audit verifier when the mesh has a chain.
 */
import type { AgentView, Answer, DiscoverQuery, DiscoverResult, Reputation } from "@plexus/anp";
import type { McpAudit, McpBackend, McpRegistry } from "./backend.js";

/** A registry node's synchronous read side (RegistryQueryApi in @plexus/registry has this shape). */
export interface RegistryQueriesLike {
  agents(options?: { all?: boolean }): Answer<AgentView[]>;
  agent(did: string): Answer<AgentView>;
  discover(query: DiscoverQuery): Answer<DiscoverResult[]>;
  reputation(did: string): Answer<Reputation>;
}

export interface QueriesBackendOptions {
  mesh: string;
  queries: RegistryQueriesLike;
  audit?: McpAudit;
}

export function createQueriesBackend(options: QueriesBackendOptions): McpBackend {
  const q = options.queries;
  const registry: McpRegistry = {
    agents: async (o) => q.agents(o),
    agent: async (did) => q.agent(did),
    discover: async (query) => q.discover(query),
    reputation: async (did) => q.reputation(did),
  };
  return { mesh: options.mesh, registry, ...(options.audit ? { audit: options.audit } : {}) };
}
