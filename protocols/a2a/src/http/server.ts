/** Serves the gateway's HTTP surface on a TCP port (Node only), with a clear error when the port is taken. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { ErrorCode, PlexusError } from "@plexus/core";

export interface Listen {
  /** Listen address, such as 127.0.0.1, 0.0.0.0 or ::1. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

export interface HttpServer {
  /** http://HOST:PORT with the port actually bound. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Busy connections (open streams) are cut after this long once closing starts. */
const FORCE_CLOSE_AFTER_MS = 1_000;

export function listen(app: Hono, where: Listen, onError?: (err: unknown) => void): Promise<HttpServer> {
  const { host, port } = where;
  if (host.trim() === "") return Promise.reject(new PlexusError(ErrorCode.InvalidArgument, "the HTTP host must not be empty"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new PlexusError(ErrorCode.InvalidArgument, `the HTTP port must be a whole number from 0 to 65535, got ${port}`));
  }
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException) => {
      const details = { host, port, errno: err.code, ...(err.code === "EADDRINUSE" ? { portInUse: true } : {}) };
      const why = err.code === "EADDRINUSE" ? "the port is already in use" : err.message;
      reject(new PlexusError(ErrorCode.InvalidArgument, `cannot serve HTTP on ${host}:${port}: ${why}`, { cause: err, details }));
    };
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      server.off("error", onListenError);
      server.on("error", (err) => onError?.(err));
      resolve(handle(server as Server, host, info.port));
    }) as Server;
    server.once("error", onListenError);
  });
}

function handle(server: Server, host: string, port: number): HttpServer {
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
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, close };
}
