/**
 * Serving a fetch handler (Hono's `app.fetch`) on a TCP port, for every HTTP surface of Plexus (the registry node,
 * the A2A gateway): a clear error when the address cannot be used, the bound port read back (port 0 picks one),
 * and a close that does not hang on keep-alive or streaming connections.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { ErrorCode, PlexusError } from "@plexus/core";

export interface Listen {
  /** Listen address, such as 127.0.0.1, 0.0.0.0 or ::1. */
  host: string;
  /** TCP port; 0 picks a free one (read it back from the result). */
  port: number;
}

export interface HttpServer {
  /** http://HOST:PORT with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops listening; idle keep-alive connections close at once, busy ones (open streams) after at most a second. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ListenOptions {
  /** Server errors after listening. */
  onError?: (err: unknown) => void;
  /** Called with the bound port before the first request can arrive. */
  onListening?: (port: number) => void;
}

const FORCE_CLOSE_AFTER_MS = 1_000;

export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  where: Listen,
  options: ListenOptions = {},
): Promise<HttpServer> {
  const { host, port } = where;
  if (host.trim() === "")
    return Promise.reject(new PlexusError(ErrorCode.InvalidArgument, "the HTTP host must not be empty"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(
      new PlexusError(ErrorCode.InvalidArgument, `the HTTP port must be a whole number from 0 to 65535, got ${port}`),
    );
  }
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    const server = serve({ fetch, hostname: host, port }, (info: AddressInfo) => {
      options.onListening?.(info.port);
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
    return new PlexusError(ErrorCode.InvalidArgument, `cannot serve HTTP on ${where}: the port is already in use`, {
      cause: err,
      details: { ...details, portInUse: true },
    });
  }
  if (err.code === "EADDRNOTAVAIL" || err.code === "EACCES" || err.code === "ENOTFOUND") {
    return new PlexusError(
      ErrorCode.InvalidArgument,
      `cannot serve HTTP on ${where}: ${err.code === "EACCES" ? "permission denied" : "no such local address"}`,
      { cause: err, details },
    );
  }
  return new PlexusError(ErrorCode.InvalidArgument, `cannot serve HTTP on ${where}: ${err.message}`, {
    cause: err,
    details,
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
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
