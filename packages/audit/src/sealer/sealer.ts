/**
 * The sealer: follows the mesh log in order and appends one link per event to the audit chain. This file is its public
 * face (the import path other modules and the package index use); the parts, one purpose each:
 *
 * - start.ts: `startSealer`, the start-up and resume (history check, the head against the log, the tree reopened);
 * - history.ts: which streams are trusted, and the HistoryGuard that refuses replaced or cut ones;
 * - sealer-impl.ts: a running sealer (state, confirmed head, counters, `stats`, `caughtUp`, `stop`);
 * - reader.ts: the mesh log read in order into computed links;
 * - writer.ts: the pipelined appends with optimistic concurrency and the reconciliation after conflicts (AUDIT_FORK);
 * - loop-host.ts: what the reader and writer loops share (the queue of computed links, state, error paths);
 * - stall-watch.ts, keep-up.ts: never stopping silently (stuck / behind); problem.ts: the problem and refusal reported;
 * - schedule.ts, checkpoint.ts: when and what is signed; tree-keeper.ts: the Merkle tree; types.ts: the shapes.
 */
export { startSealer } from "./start.js";
export { DEFAULT_SEALER_HISTORY_CHECK_MS } from "./history.js";
export type { Sealer, SealerOptions, SealerProblem, SealerStats } from "./types.js";
