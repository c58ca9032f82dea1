/**
 * The live log against what a witness vouched for, and against the checkpoints' coverage. These are the checks that
 * make issue 13's finding 1 visible: an attacker with the mesh's credentials can rewrite the log, recompute every
 * link and drop the checkpoints (the chain then holds), but cannot change a witness's folder, nor sign with the
 * registry key.
 *
 * - `rollback`: the live log is shorter than a size a witness cosigned (events were cut, or an older state restored);
 * - `fork`: the tree recomputed from the live log at the witnessed size has another root (history was rewritten);
 * - `checkpoint_missing`: with a pinned log key, no checkpoint by it covers the log to within `maxUnsealed` events
 *   of its end (checkpoints dropped, or the sealer stopped signing).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { eventLeafHash, equalHashes } from "../merkle/hash.js";
import { TreeBuilder } from "../merkle/tree-builder.js";
import { meshLogEnd, readMeshLog } from "../store/mesh-log.js";
import type { LogEvent } from "../types.js";

export type WitnessFaultKind = "rollback" | "fork" | "checkpoint_missing";

export type LogAgainstHead = { ok: true } | { ok: false; kind: "rollback" | "fork"; position: number; detail: string };

/** Whether the first `head.size` events of the mesh log give `head.root` (rebuilt from the raw log, no tiles trusted). */
export async function logHoldsHead(
  nc: NatsConnection,
  mesh: string,
  head: { size: number; root: Uint8Array },
): Promise<LogAgainstHead> {
  return eventsHoldHead(readMeshLog(nc, mesh, 1, head.size), await meshLogEnd(nc, mesh), head);
}

/**
 * Whether `events` (positions 1… in order, of a log `end` events long: the live log, or an export file from position
 * 1) give `head.root` at `head.size`. Reads no further than `head.size`.
 */
export async function eventsHoldHead(
  events: AsyncIterable<LogEvent>,
  end: number,
  head: { size: number; root: Uint8Array },
): Promise<LogAgainstHead> {
  if (end < head.size) {
    return {
      ok: false,
      kind: "rollback",
      position: end + 1,
      detail: `the log has ${end} events, fewer than the ${head.size} of the witnessed checkpoint`,
    };
  }
  const tree = new TreeBuilder();
  let expected = 1;
  for await (const e of events) {
    if (e.n > head.size) break;
    if (e.n !== expected)
      return {
        ok: false,
        kind: "rollback",
        position: expected,
        detail: `position ${expected} of the witnessed checkpoint is missing from the log`,
      };
    tree.push(eventLeafHash(e.subject, e.data));
    if (expected++ === head.size) break;
  }
  if (tree.size < head.size) {
    return {
      ok: false,
      kind: "rollback",
      position: tree.size + 1,
      detail: `the log has ${tree.size} readable events, fewer than the ${head.size} of the witnessed checkpoint`,
    };
  }
  if (!equalHashes(tree.root(), head.root)) {
    return {
      ok: false,
      kind: "fork",
      position: head.size,
      detail: `the log's first ${head.size} events do not give the root the witness cosigned: history was rewritten`,
    };
  }
  return { ok: true };
}

/**
 * `checkpoint_missing` when the newest checkpoint by a pinned key (`covered`, 0 for none) leaves more than
 * `maxUnsealed` events of a log of `end` events uncovered; undefined when it is covered.
 */
export function uncoveredTail(
  covered: number,
  end: number,
  maxUnsealed: number,
): { kind: "checkpoint_missing"; position: number; detail: string } | undefined {
  if (end - covered <= maxUnsealed) return undefined;
  return {
    kind: "checkpoint_missing",
    position: covered + 1,
    detail: `no checkpoint by a pinned key covers the log past position ${covered}, ${end - covered} events before its end ${end} (more than ${maxUnsealed} allowed): checkpoints dropped, or the sealer stopped signing`,
  };
}
