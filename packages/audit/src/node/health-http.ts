/**
 * The health endpoints of a sealer that runs on its own (`plexus audit seal --http`): GET /healthz (the process
 * answers), GET /readyz (200 when sealing normally or standing by in good order, 503 with the status and its reason
 * otherwise: stalled, refused, failed, starting), GET /v1/status (the status, always 200). Plain node:http: a sealer
 * needs nothing more, and no web framework in its process.
 *
 * /readyz and /v1/status answer in the registry's `{ data, asOf: { seq, at } }` envelope (README, "HTTP API"): `data`
 * the status, `seq` the log position the sealer's chain covers (its head's size: what it has sealed, as a registry
 * node's is what it has read) and `at` the time the status was read.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { SealerNodeStatus } from "./sealer-node.js";

/** A sealer's status as /readyz and /v1/status answer it. */
export interface SealerStatusEnvelope {
  data: SealerNodeStatus;
  asOf: { seq: number; at: number };
}

export function sealerStatusEnvelope(s: SealerNodeStatus, now: () => number = Date.now): SealerStatusEnvelope {
  return { data: s, asOf: { seq: s.head.size, at: now() } };
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function serveSealerHealth(
  status: () => SealerNodeStatus,
  listen: { host: string; port: number },
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
    };
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(405, { error: { code: "method_not_allowed", message: `${req.method} is not allowed; use GET` } });
    if (path === "/healthz") return send(200, { status: "ok" });
    if (path === "/readyz") {
      const s = status();
      return send(s.ready ? 200 : 503, sealerStatusEnvelope(s));
    }
    if (path === "/v1/status") return send(200, sealerStatusEnvelope(status()));
    return send(404, { error: { code: "not_found", message: `no such path ${path}: /healthz, /readyz, /v1/status` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new PlexusError(ErrorCode.InvalidArgument, `${listen.host}:${listen.port} is already in use`, {
              details: { portInUse: true },
              cause: err,
            })
          : err,
      ),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
