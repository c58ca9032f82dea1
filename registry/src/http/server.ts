/** Serves the registry's HTTP API on a TCP port (Node only), with a clear error when the port is taken. */
import { listen, type HttpServer } from "@plexus/http";
import type { NatsConnection } from "@nats-io/transport-node";
import type { RegistryQueryApi } from "../service/queries-api.js";
import { createRegistryApp, type RegistryAppOptions } from "./app.js";

export interface RegistryHttpOptions {
  /** Listen address, such as 127.0.0.1, 0.0.0.0 or ::1. */
  host: string;
  /** TCP port; 0 picks a free one (read it back from the result). */
  port: number;
  /** Errors answered as 500, and server errors after listening. */
  onError?: (err: unknown) => void;
  /** The MCP handler for /mcp, made once the bound address (port 0 resolved) is known. */
  mcp?: (address: { host: string; port: number }) => (request: Request) => Promise<Response>;
  /** The mesh's replication for /v1/status (RegistryAppOptions.replication). */
  replication?: RegistryAppOptions["replication"];
}

export type RegistryHttpServer = HttpServer;

/** What a registry node hands the MCP factory it was given: its queries and its connection (for the audit chain). */
export interface RegistryMcpContext {
  mesh: string;
  queries: RegistryQueryApi;
  nc: NatsConnection;
  onError?: (err: unknown) => void;
}

/** Makes the /mcp handler of a node (RegistryNodeOptions.mcp): given the node, then the bound address. */
export type RegistryMcpFactory = (node: RegistryMcpContext) => NonNullable<RegistryHttpOptions["mcp"]>;

export function serveRegistryHttp(api: RegistryQueryApi, options: RegistryHttpOptions): Promise<RegistryHttpServer> {
  let mcp: ((request: Request) => Promise<Response>) | undefined;
  const mcpRoute = options.mcp
    ? { mcp: (request: Request) => (mcp ? mcp(request) : Promise.resolve(new Response(null, { status: 503 }))) }
    : {};
  const app = createRegistryApp(api, {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.replication ? { replication: options.replication } : {}),
    ...mcpRoute,
  });
  return listen(app.fetch, options, {
    ...(options.onError ? { onError: options.onError } : {}),
    onListening: (port) => {
      mcp = options.mcp?.({ host: options.host, port });
    },
  });
}
