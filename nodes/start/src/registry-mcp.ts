/**
 * The registry node's MCP endpoint: the MCP tools over the node's own queries (no agent identity), plus verify_audit
 * once the mesh has an audit chain, in stateless Streamable HTTP with Host/Origin checks. It is composed here and
 * injected (RegistryNodeOptions.mcp), not built by the registry: @plexus/mcp is a protocol below the registry, and
 * its own tests start registry nodes, so the registry importing it made a package cycle.
 * The Host check accepts the node's listen address and loopback names on its port, plus the exact host:port of each
 * public URL it is given (`registry start --public-url`: a published port, a proxy, the compose service name).
 */
import { auditWhenPresent, createMcpHttpHandler, createPlexusMcpServer, createQueriesBackend } from "@plexus/mcp";
import type { RegistryMcpFactory } from "@plexus/registry";

export interface RegistryMcpOptions {
  /** More Host values /mcp accepts (host:port as clients send it), e.g. from `--public-url`. */
  allowedHosts?: readonly string[];
}

export const registryMcp: RegistryMcpFactory = (o) => registryMcpWith({})(o);

/** The factory with options (registryMcp is this with none). */
export const registryMcpWith =
  (options: RegistryMcpOptions): RegistryMcpFactory =>
  (o) => {
    const audit = auditWhenPresent({ nc: o.nc, mesh: o.mesh });
    const info = { name: "plexus-registry", title: `Plexus registry (mesh ${o.mesh})`, version: "0.1.0" };
    return (address) =>
      createMcpHttpHandler({
        address,
        server: async () => {
          const verifier = await audit();
          return createPlexusMcpServer(
            createQueriesBackend({ mesh: o.mesh, queries: o.queries, ...(verifier ? { audit: verifier } : {}) }),
            info,
          );
        },
        ...(options.allowedHosts?.length ? { allowedHosts: options.allowedHosts } : {}),
        ...(o.onError ? { onError: o.onError } : {}),
      });
  };
