/**
 * A standby's judgment of the writer, from the chain itself: the lease (lease.ts) and the presence records
 * (presence.ts) live in a bucket every holder of the mesh's service credentials can write, so a standby does not take
 * "someone holds the lease" as "the mesh is being sealed". Every beat it samples the chain's head and the log's end; when
 * events wait and the head has not moved for `stuckMs` (the sealer's own keep-up rule, keep-up.ts), the writer is not
 * sealing, whatever the lease says, and the standby takes over. So it does when the head moves but the chain's tail goes
 * unsigned (query/sealing-progress.ts signingProgress): anyone holding the service credentials can append correct
 * links, only a sealer holding the registry key can sign them.
 *
 * One exception: a writer whose own trusted, live record says it refused the log or failed for good keeps its lease on
 * purpose (a standby would otherwise seal over a log that one refused, sealer-node.ts). The standby then does not take
 * over but is not ready either, and says why.
 */
import { KeepUpJudge } from "../sealer/keep-up.js";
import type { ChainHead } from "../types.js";
import type { SealerSighting } from "./presence.js";

/** Default: a writer that leaves events unsealed this long is replaced (ms). */
export const DEFAULT_TAKEOVER_MS = 15_000;

export type WriterVerdict =
  | { kind: "sealing" }
  | { kind: "stuck"; reason: string }
  | { kind: "refused"; reason: string };

export class WriterWatch {
  readonly #stuckMs: number;
  #judge: KeepUpJudge;

  constructor(o: { stuckMs?: number } = {}) {
    this.#stuckMs = o.stuckMs ?? DEFAULT_TAKEOVER_MS;
    this.#judge = new KeepUpJudge({ stuckMs: this.#stuckMs, maxLag: Number.MAX_SAFE_INTEGER });
  }

  /** Forgets what it saw (this node wrote in between, or a new writer came). */
  reset(): void {
    this.#judge = new KeepUpJudge({ stuckMs: this.#stuckMs, maxLag: Number.MAX_SAFE_INTEGER });
  }

  /**
   * One sample of the chain. `unsigned` (asked only when the head moves) says why the chain's tail goes unsigned, if it
   * does: anyone can append correct links, so a moving head does not prove a sealer holding the registry key is at
   * work. `readWriter` (asked only when one of the two says no) finds the lease holder's presence record; only a
   * trusted, live one is believed.
   */
  async verdict(
    now: number,
    head: ChainHead,
    logEnd: number,
    holder: string | undefined,
    readWriter: () => Promise<SealerSighting | undefined>,
    unsigned: () => Promise<string | undefined> = async () => undefined,
  ): Promise<WriterVerdict> {
    const stall = this.#judge.sample(now, head.size, logEnd);
    const why =
      stall?.kind === "stuck"
        ? `the chain is not sealed: ${stall.reason}`
        : await unsigned().then(
            (u) => u && `the chain goes unsigned: ${u}`,
            () => undefined,
          );
    if (!why) return { kind: "sealing" };
    const writer = await readWriter().catch(() => undefined);
    if (writer?.trusted && writer.live && (writer.state === "refused" || writer.state === "failed")) {
      return {
        kind: "refused",
        reason: `${holder ?? writer.id} holds the writer lease and reports ${writer.state}: ${writer.problem?.reason ?? "no reason given"}; not sealing over it (${why})`,
      };
    }
    return {
      kind: "stuck",
      reason: `${holder === undefined ? "nothing holds the writer lease" : `${holder} holds the writer lease`} but ${why}`,
    };
  }
}
