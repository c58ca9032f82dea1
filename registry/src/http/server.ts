/** Serves the registry's HTTP API on a TCP port (Node only), with a clear error when the port is taken. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { RegistryQueryApi } from "../service/queries-api.js";
import { createRegistryApp } from "./app.js";

export interface RegistryHttpOptions {
  /** Listen address, such as 127.0.0.1, 0.0.0.0 or ::1. */
  host: string;
  /** TCP port; 0 picks a free one (read it back from the result). */
  port: number;
  /** Errors answered as 500, and server errors after listening. */
  onError?: (err: unknown) => void;
  /** The MCP handler for /mcp, made once the bound address (port 0 resolved) is known. */
  mcp?: (address: { host: string; port: number }) => (request: Request) => Promise<Response>;
}

export interface RegistryHttpServer {
  /** http://HOST:PORT with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops listening; idle keep-alive connections close at once, busy ones after at most a second. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const FORCE_CLOSE_AFTER_MS = 1_000;

export function serveRegistryHttp(api: RegistryQueryApi, options: RegistryHttpOptions): Promise<RegistryHttpServer> {
  const { host, port } = options;
  if (host.trim() === "") return Promise.reject(new PlexusError(ErrorCode.InvalidArgument, "the HTTP host must not be empty"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new PlexusError(ErrorCode.InvalidArgument, `the HTTP port must be a whole number from 0 to 65535, got ${port}`));
  }
  let mcp: ((request: Request) => Promise<Response>) | undefined;
  const mcpRoute = options.mcp ? { mcp: (request: Request) => (mcp ? mcp(request) : Promise.resolve(new Response(null, { status: 503 }))) } : {};
  const app = createRegistryApp(api, { ...(options.onError ? { onError: options.onError } : {}), ...mcpRoute });
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      mcp = options.mcp?.({ host, port: info.port });
      server.off("error", onListenError);
      server.on("error", (err) => options.onError?.(err));
      resolve(handle(server as Server, host, info.port));
    }) as Server;
    server.once("error", onListenError);
  });
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): PlexusError {
  const where = `${host}:${port}`;
  const details = { host, port, errno: err.code };
  if (err.code === "EADDRINUSE") {
    return new PlexusError(ErrorCode.InvalidArgument, `cannot serve HTTP on ${where}: the port is already in use`, { cause: err, details: { ...details, portInUse: true } });
  }
  if (err.code === "EADDRNOTAVAIL" || err.code === "EACCES" || err.code === "ENOTFOUND") {
    return new PlexusError(ErrorCode.InvalidArgument, `cannot serve HTTP on ${where}: ${err.code === "EACCES" ? "permission denied" : "no such local address"}`, { cause: err, details });
  }
  return new PlexusError(ErrorCode.InvalidArgument, `cannot serve HTTP on ${where}: ${err.message}`, { cause: err, details });
}

function handle(server: Server, host: string, port: number): RegistryHttpServer {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => server.closeAllConnections(), FORCE_CLOSE_AFTER_MS);
      force.unref();
      server.close((err) => {
        clearTimeout(force);
        if (err) reject(err);
        else resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, close, [Symbol.asyncDispose]: close };
}
