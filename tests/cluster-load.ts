/**
 * Message load for the cluster tests: senders that keep a window of sends in flight to one listener, the time of
 * every acknowledgement (a send resolves once the mesh stored the envelope), and the listener's ledger of what its
 * handler got: each id once as new, and redeliveries (flagged `redelivered` by the reader: the handler must be
 * idempotent on them) counted apart.
 */
import type { Agent, Delivery } from "@plexus/sdk";

export interface LoadResult {
  /** Ids of the sends that resolved (acknowledged by the mesh). */
  acked: string[];
  /** The last acknowledged id of each sender (for its receipt). */
  lastBySender: Map<Agent, string>;
  /** Sends that rejected (not acknowledged). */
  failed: unknown[];
  /** performance.now() of every acknowledgement, in order, from the load's start (index 0) on. */
  ackTimes: number[];
}

/** `total` sends spread over `senders` round-robin, each sender with `window` in flight. */
export function sendLoad(senders: readonly Agent[], to: string, total: number, window: number): Load {
  return new Load(senders, to, total, window);
}

export class Load {
  readonly result: LoadResult = { acked: [], lastBySender: new Map(), failed: [], ackTimes: [performance.now()] };
  readonly done: Promise<LoadResult>;

  constructor(senders: readonly Agent[], to: string, total: number, window: number) {
    const perSender = Math.ceil(total / senders.length);
    this.done = Promise.all(
      senders.map((agent, s) => this.#run(agent, to, Math.min(perSender, total - s * perSender), window, s)),
    ).then(() => this.result);
  }

  get acked(): number {
    return this.result.acked.length;
  }

  async #run(agent: Agent, to: string, count: number, window: number, sender: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        try {
          const sent = await agent.send(to, { sender, i }, { type: "load" });
          this.result.acked.push(sent.id);
          this.result.ackTimes.push(performance.now());
          this.result.lastBySender.set(agent, sent.id);
        } catch (err) {
          this.result.failed.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
  }
}

/** The longest time between two consecutive acknowledgements (ms), and when it began. */
export function longestGap(times: readonly number[]): { ms: number; from: number } {
  let best = { ms: 0, from: times[0] ?? 0 };
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > best.ms) best = { ms: gap, from: times[i - 1]! };
  }
  return best;
}

/** What a listener's handler was given. */
export class DeliveryLedger {
  /** id -> how many times the handler got it not flagged as a redelivery. */
  readonly asNew = new Map<string, number>();
  /** Every id the handler got, new or redelivered. */
  readonly seen = new Set<string>();
  redelivered = 0;

  readonly handler = (d: Delivery): void => {
    if (d.type !== "load") return;
    this.seen.add(d.id);
    if (d.redelivered) {
      this.redelivered += 1;
      return;
    }
    this.asNew.set(d.id, (this.asNew.get(d.id) ?? 0) + 1);
  };

  /** Ids handed to the handler more than once as new. */
  twiceAsNew(): string[] {
    return [...this.asNew].filter(([, n]) => n > 1).map(([id]) => id);
  }

  missing(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.seen.has(id));
  }
}
