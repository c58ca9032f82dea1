/**
 * The registry node's MCP endpoint: the MCP tools over this node's own queries (no agent identity), plus
 * verify_audit once the mesh has an audit chain, in stateless Streamable HTTP with Host/Origin checks.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { auditWhenPresent, createMcpHttpHandler, createPlexusMcpServer, createQueriesBackend, type ListenAddress, type McpHttpHandler } from "@plexus/mcp";
import type { RegistryQueryApi } from "../service/queries-api.js";

export interface RegistryMcpOptions {
  mesh: string;
  queries: RegistryQueryApi;
  /** The node's connection: the audit verifier reads the mesh log and the audit chain through it. */
  nc: NatsConnection;
  onError?: (err: unknown) => void;
}

/** The /mcp handler for a server listening on `address`. */
export function registryMcp(o: RegistryMcpOptions): (address: ListenAddress) => McpHttpHandler {
  const audit = auditWhenPresent({ nc: o.nc, mesh: o.mesh });
  const info = { name: "plexus-registry", title: `Plexus registry (mesh ${o.mesh})`, version: "0.1.0" };
  return (address) =>
    createMcpHttpHandler({
      address,
      server: async () => {
        const verifier = await audit();
        return createPlexusMcpServer(createQueriesBackend({ mesh: o.mesh, queries: o.queries, ...(verifier ? { audit: verifier } : {}) }), info);
      },
      ...(o.onError ? { onError: o.onError } : {}),
    });
}
