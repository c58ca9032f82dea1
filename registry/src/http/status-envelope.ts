/**
 * /v1/status and /readyz answer in the same `{ data, asOf }` envelope as every other /v1 answer (README, "HTTP API").
 * A status is not a projection query, so its `asOf` is the node's log position now and the time it was read (not the
 * query clock rounded to its step: two nodes' statuses differ anyway, by their counters and start times). A sealed
 * node has read nothing of the log: seq 0.
 */
import type { AsOf } from "@plexus/anp";

export interface StatusEnvelope<T> {
  data: T;
  asOf: AsOf;
}

export function statusEnvelope<T>(data: T, seq: number, now: () => number = Date.now): StatusEnvelope<T> {
  return { data, asOf: { seq, at: now() } };
}
