/**
 * The HTTP API of a sealed registry node: health, status, readiness (always 503), a nonce for the next unseal
 * request, and POST /v1/unseal (one signed share per call). Every other path answers 503 SEALED. Errors are
 * `{ error: { code, message, retryable, help } }` like the unsealed API's, with the HTTP status of their code.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ErrorCode, parseJson, PlexusError } from "@plexus/core";
import type { SealedStatus } from "../node/unseal-session.js";
import { errorHandler, failure } from "./errors.js";
import { statusEnvelope } from "./status-envelope.js";

/** What a sealed node offers its HTTP API. */
export interface SealedApi {
  status(): SealedStatus;
  nonce(): { nonce: string; expiresAt: number; did: string };
  /** Takes one signed share; throws a PlexusError when refused. */
  unseal(body: unknown): { sealed: boolean; did: string; threshold: number; received: number; index: number };
}

export interface UnsealAppOptions {
  onError?: (err: unknown) => void;
}

const MAX_BODY_BYTES = 64 * 1024;
const ROUTES = {
  "/healthz": "GET",
  "/readyz": "GET",
  "/v1/status": "GET",
  "/v1/unseal/nonce": "GET",
  "/v1/unseal": "POST",
} as const;

export function createUnsealApp(api: SealedApi, options: UnsealAppOptions = {}): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok", sealed: true }));
  // The unsealed API's envelope; a sealed node has read nothing of the log (seq 0).
  app.get("/readyz", (c) => c.json(statusEnvelope(api.status(), 0), 503));
  app.get("/v1/status", (c) => c.json(statusEnvelope(api.status(), 0)));
  app.get("/v1/unseal/nonce", (c) => c.json(api.nonce()));
  app.post(
    "/v1/unseal",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => failure(c, ErrorCode.LimitExceeded, `the unseal request is larger than ${MAX_BODY_BYTES} bytes`),
    }),
    async (c) => {
      const read = parseJson(await c.req.text());
      if (!read.ok)
        throw new PlexusError(
          ErrorCode.InvalidArgument,
          `the unseal request body is not JSON (${read.reason}: ${read.detail})`,
        );
      const body = read.value;
      return c.json(api.unseal(body));
    },
  );
  for (const [path, method] of Object.entries(ROUTES)) {
    app.all(path, (c) => {
      c.header("Allow", method === "GET" ? "GET, HEAD" : method);
      return failure(c, ErrorCode.MethodNotAllowed, `${c.req.method} is not allowed on ${c.req.path}; use ${method}`);
    });
  }
  app.notFound((c) => {
    const { did, threshold, received } = api.status();
    const need =
      threshold === null ? "k shares" : `${threshold - received} more share(s) (${received} of ${threshold} held)`;
    return failure(
      c,
      ErrorCode.Sealed,
      `this registry node is sealed (key ${did}): ${c.req.method} ${c.req.path} is unavailable until ${need} unseal it (plexus registry unseal)`,
    );
  });
  app.onError(errorHandler(options.onError));
  return app;
}
