/** What the sealer's two loops (reader.ts, writer.ts) share: the queue of computed links, the state, the error paths. */
import type { ChainLink } from "../types.js";

export interface LoopHost {
  /** Computed links not yet confirmed, in position order (the reader appends, the writer confirms). */
  pending: ChainLink[];
  running(): boolean;
  /** Stops the sealer for good (reported). */
  fail(err: unknown): void;
  /** An error the sealer survives (it retries). */
  report(err: unknown): void;
}

/** The loops' back-off pause. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
