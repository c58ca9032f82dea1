/**
 * The registry's HTTP API: a read-only JSON view of one node's projections (RegistryQueryApi), on hono.
 * Answers are `{ data, asOf }` (/v1/status and /readyz too; /healthz is `{ status: "ok" }`); errors are
 * `{ error: { code, message, retryable, help } }` with the HTTP status of their code (ERROR_SPECS in @plexus/core).
 */
import { Hono, type Context } from "hono";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { Answer, DiscoverQuery } from "@plexus/anp";
import type { ReplicationReport } from "@plexus/bus";
import type { RegistryQueryApi } from "../service/queries-api.js";
import { errorHandler, failure } from "./errors.js";
import { statusEnvelope } from "./status-envelope.js";

export interface RegistryAppOptions {
  /** Called with every unexpected error (answered 500; a non-PlexusError's text never reaches the client). */
  onError?: (err: unknown) => void;
  /** Serves MCP (Streamable HTTP) at /mcp: every method goes to this handler, which does its own checks. */
  mcp?: (request: Request) => Promise<Response>;
  /**
   * The mesh's replication as the node last read it (@plexus/bus watchReplication): /v1/status carries it as
   * `replication` ({ asked, source, streams: [{ name, replicas, current, leader, peers }], warnings }).
   */
  replication?: () => ReplicationReport | undefined;
}

const PATHS = [
  "/healthz",
  "/readyz",
  "/v1/status",
  "/v1/agents",
  "/v1/agents/:did",
  "/v1/agents/:did/reputation",
  "/v1/discover",
  "/v1/trust-anchors",
] as const;
const DISCOVER_PARAMS = [
  "capability",
  "q",
  "tag",
  "min_score",
  "limit",
  "include_offline",
  "verified_only",
  "verifiedOnly",
  "issuer",
] as const;
/** W3C DID syntax, loosely: did:<method>:<method-specific id>. */
const DID_PATTERN = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/;
const MAX_LIMIT = 1000;

export function createRegistryApp(api: RegistryQueryApi, options: RegistryAppOptions = {}): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => {
    params(c, []);
    return c.json({ status: "ok" });
  });
  // Both in the /v1 envelope; /readyz's HTTP status is the readiness (200 ready, 503 not) for probes that read no body.
  app.get("/readyz", (c) => {
    params(c, []);
    const status = api.status();
    return c.json(statusEnvelope(status, status.seq), status.ready ? 200 : 503);
  });
  app.get("/v1/status", (c) => {
    params(c, []);
    const status = api.status();
    const replication = options.replication?.();
    return c.json(statusEnvelope(replication ? { ...status, replication } : status, status.seq));
  });
  app.get("/v1/agents", (c) => answer(c, api.agents({ all: booleanParam(params(c, ["all"]), "all") ?? false })));
  app.get("/v1/agents/:did", (c) => {
    params(c, []);
    return answer(c, api.agent(didParam(c)));
  });
  app.get("/v1/agents/:did/reputation", (c) => {
    params(c, []);
    return answer(c, api.reputation(didParam(c)));
  });
  app.get("/v1/discover", (c) => answer(c, api.discover(discoverQuery(params(c, DISCOVER_PARAMS)))));
  app.get("/v1/trust-anchors", (c) => {
    params(c, []);
    return answer(c, api.trustAnchors());
  });
  const mcp = options.mcp;
  if (mcp) app.all("/mcp", (c) => mcp(c.req.raw));
  for (const path of PATHS) {
    app.all(path, (c) => {
      c.header("Allow", "GET, HEAD");
      return failure(c, ErrorCode.MethodNotAllowed, `${c.req.method} is not allowed on ${c.req.path}; use GET`);
    });
  }
  app.notFound((c) => failure(c, ErrorCode.NotFound, `no such endpoint: ${c.req.method} ${c.req.path}`));
  app.onError(errorHandler(options.onError));
  return app;
}

function answer<T>(c: Context, a: Answer<T>): Response {
  return c.json({ data: a.result, asOf: a.asOf });
}

function invalid(message: string): PlexusError {
  return new PlexusError(ErrorCode.InvalidArgument, message);
}

/** The query string as single values; unknown or repeated parameters are refused. */
function params(c: Context, allowed: readonly string[]): Record<string, string> {
  const given = c.req.queries();
  const unknown = Object.keys(given).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    const takes = allowed.length > 0 ? `it takes ${allowed.join(", ")}` : "it takes none";
    throw invalid(
      `unknown query parameter${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} for ${c.req.path}; ${takes}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(given)) {
    if (values.length !== 1) throw invalid(`query parameter ${name} is given more than once`);
    out[name] = values[0] as string;
  }
  return out;
}

function didParam(c: Context): string {
  const did = c.req.param("did") ?? "";
  if (!DID_PATTERN.test(did))
    throw invalid(`${JSON.stringify(did)} is not a DID (expected did:<method>:<id>, URL-encoded)`);
  return did;
}

function booleanParam(p: Record<string, string>, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  if (v !== "true" && v !== "false") throw invalid(`${name} must be true or false, got ${JSON.stringify(v)}`);
  return v === "true";
}

function textParam(p: Record<string, string>, name: string): string | undefined {
  const v = p[name];
  if (v !== undefined && v.trim() === "") throw invalid(`${name} must not be empty`);
  return v;
}

function discoverQuery(p: Record<string, string>): DiscoverQuery {
  const query: DiscoverQuery = {};
  const capability = textParam(p, "capability");
  const q = textParam(p, "q");
  const tag = textParam(p, "tag");
  const includeOffline = booleanParam(p, "include_offline");
  if (capability !== undefined) query.capability = capability;
  if (q !== undefined) query.q = q;
  if (tag !== undefined) query.tag = tag;
  if (includeOffline !== undefined) query.includeOffline = includeOffline;
  // Attested capabilities only (verifiedOnly is accepted as the same parameter in the NATS query's spelling).
  const verifiedOnly = booleanParam(p, "verified_only") ?? booleanParam(p, "verifiedOnly");
  if (verifiedOnly !== undefined) query.verifiedOnly = verifiedOnly;
  const issuer = p["issuer"];
  if (issuer !== undefined) {
    if (!DID_PATTERN.test(issuer)) throw invalid(`issuer must be a DID, got ${JSON.stringify(issuer)}`);
    query.issuer = issuer;
  }
  const minScore = p["min_score"];
  if (minScore !== undefined) {
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(minScore) || Number(minScore) > 1)
      throw invalid(`min_score must be a number from 0 to 1, got ${JSON.stringify(minScore)}`);
    query.minScore = Number(minScore);
  }
  const limit = p["limit"];
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT)
      throw invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`);
    query.limit = Number(limit);
  }
  return query;
}
