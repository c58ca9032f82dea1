import type { DiscoverQuery } from "@plexus/anp";
import { ErrorCode, PlexusError } from "@plexus/core";

const FIELDS = new Set(["capability", "q", "tag", "minScore", "includeOffline", "limit", "verifiedOnly", "issuer"]);

/** Checks a discovery query that came over the wire (NATS JSON); names the first bad field. */
export function parseDiscoverQuery(value: Record<string, unknown>): DiscoverQuery {
  for (const key of Object.keys(value)) {
    if (!FIELDS.has(key))
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `unknown discovery field "${key}"; known: ${[...FIELDS].join(", ")}`,
      );
  }
  const query: DiscoverQuery = {};
  for (const key of ["capability", "q", "tag"] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v.length === 0 || v.length > 500)
      throw new PlexusError(ErrorCode.InvalidArgument, `${key} must be a non-empty string of at most 500 characters`);
    query[key] = v;
  }
  if (value.minScore !== undefined) {
    const v = value.minScore;
    if (typeof v !== "number" || !(v >= 0 && v <= 1))
      throw new PlexusError(ErrorCode.InvalidArgument, "minScore must be a number within 0..1");
    query.minScore = v;
  }
  if (value.includeOffline !== undefined) {
    if (typeof value.includeOffline !== "boolean")
      throw new PlexusError(ErrorCode.InvalidArgument, "includeOffline must be true or false");
    query.includeOffline = value.includeOffline;
  }
  if (value.verifiedOnly !== undefined) {
    if (typeof value.verifiedOnly !== "boolean")
      throw new PlexusError(ErrorCode.InvalidArgument, "verifiedOnly must be true or false");
    query.verifiedOnly = value.verifiedOnly;
  }
  if (value.issuer !== undefined) {
    if (typeof value.issuer !== "string" || !value.issuer.startsWith("did:") || value.issuer.length > 200)
      throw new PlexusError(ErrorCode.InvalidArgument, "issuer must be a DID");
    query.issuer = value.issuer;
  }
  if (value.limit !== undefined) {
    const v = value.limit;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1000)
      throw new PlexusError(ErrorCode.InvalidArgument, "limit must be an integer within 1..1000");
    query.limit = v;
  }
  return query;
}

/** A page of the agent list: `offset` from the start (log order of first join), at most `limit` (1..1000, default 500). */
export interface AgentsQuery {
  all?: boolean;
  offset?: number;
  limit?: number;
}

export const AGENTS_PAGE = 500;

export function parseAgentsQuery(value: Record<string, unknown>): AgentsQuery {
  for (const key of Object.keys(value)) {
    if (key !== "all" && key !== "offset" && key !== "limit")
      throw new PlexusError(ErrorCode.InvalidArgument, `unknown agents field "${key}"; known: all, offset, limit`);
  }
  const query: AgentsQuery = {};
  if (value.all !== undefined) {
    if (typeof value.all !== "boolean") throw new PlexusError(ErrorCode.InvalidArgument, "all must be true or false");
    query.all = value.all;
  }
  for (const [key, max] of [
    ["offset", Number.MAX_SAFE_INTEGER],
    ["limit", 1000],
  ] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < (key === "limit" ? 1 : 0) || v > max) {
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `${key} must be an integer within ${key === "limit" ? 1 : 0}..${max}`,
      );
    }
    query[key] = v;
  }
  return query;
}
