import type { DiscoverQuery } from "@plexus/anp";
import { ErrorCode, PlexusError } from "@plexus/core";

const FIELDS = new Set(["capability", "q", "tag", "minScore", "includeOffline", "limit"]);

/** Checks a discovery query that came over the wire (NATS JSON); names the first bad field. */
export function parseDiscoverQuery(value: Record<string, unknown>): DiscoverQuery {
  for (const key of Object.keys(value)) {
    if (!FIELDS.has(key)) throw new PlexusError(ErrorCode.InvalidArgument, `unknown discovery field "${key}"; known: ${[...FIELDS].join(", ")}`);
  }
  const query: DiscoverQuery = {};
  for (const key of ["capability", "q", "tag"] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v.length === 0 || v.length > 500) throw new PlexusError(ErrorCode.InvalidArgument, `${key} must be a non-empty string of at most 500 characters`);
    query[key] = v;
  }
  if (value.minScore !== undefined) {
    const v = value.minScore;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new PlexusError(ErrorCode.InvalidArgument, "minScore must be a number within 0..1");
    query.minScore = v;
  }
  if (value.includeOffline !== undefined) {
    if (typeof value.includeOffline !== "boolean") throw new PlexusError(ErrorCode.InvalidArgument, "includeOffline must be true or false");
    query.includeOffline = value.includeOffline;
  }
  if (value.limit !== undefined) {
    const v = value.limit;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1000) throw new PlexusError(ErrorCode.InvalidArgument, "limit must be an integer within 1..1000");
    query.limit = v;
  }
  return query;
}
