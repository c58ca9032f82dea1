/**
 * The sealer's writer: appends the queued links with optimistic concurrency, up to `pipeline` appends in flight on the
 * one connection, sent in chunks as room frees up, each with its own expected size (the server applies them in order).
 * An append that finds its position taken (a conflict) or whose outcome is unknown (an error) makes it re-read the
 * chain's size; positions another sealer wrote are then read back and compared with the links computed for the same
 * events. Equal: carry on after them. Different: the chain forked (AUDIT_FORK), and the sealer fails.
 */
import { ErrorCode, type PlexusError } from "@plexus/core";
import type { AppendResult, AuditStore, ChainLink } from "../types.js";
import { forkError } from "./errors.js";
import { sleep, type LoopHost } from "./loop-host.js";

/** The append window goes out in this many chunks (see #append). */
const CHUNKS_IN_FLIGHT = 4;

export interface WriterHost extends LoopHost {
  store: AuditStore;
  /** Appends in flight at once. */
  pipeline: number;
  /** The sealer's counters this writer moves. */
  counts: { sealed: number; verified: number; conflicts: number };
  confirmedSize(): number;
  /** The first `count` links of `batch` are in the chain, equal to what was computed. */
  confirm(batch: ChainLink[], count: number): void;
}

export class ChainWriter {
  readonly #host: WriterHost;
  /** The chain is known to hold at least this many links (another sealer may be ahead of this one). */
  #known: number;
  #wake: (() => void) | undefined;

  constructor(host: WriterHost, known: number) {
    this.#host = host;
    this.#known = known;
  }

  /** Links up to `n` are confirmed. */
  noteConfirmed(n: number): void {
    this.#known = Math.max(this.#known, n);
  }

  /** A link was queued, or the sealer stops: the loop looks again. */
  wake(): void {
    this.#wake?.();
  }

  async run(): Promise<void> {
    const host = this.#host;
    let pause = 50;
    while (host.running()) {
      if (host.pending.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      try {
        const settled =
          host.pending[0]!.n <= this.#known
            ? await this.#verify(host.pending.slice(0, host.pipeline))
            : await this.#append();
        if (settled) pause = 50;
        else {
          await sleep(pause);
          pause = Math.min(pause * 2, 2_000);
        }
      } catch (err) {
        if ((err as PlexusError).code === ErrorCode.AuditFork) return host.fail(err);
        host.report(err);
        await sleep(pause);
        pause = Math.min(pause * 2, 2_000);
      }
    }
  }

  /**
   * Appends the pending links, each with its own expected size, with up to `pipeline` appends in flight. They go out
   * in chunks of a quarter of that (each chunk one burst of publishes), and a chunk is sent as soon as the window has
   * room for it, so the server is storing one chunk while the sealer takes the answers to the one before and sends the
   * next. Answers are taken in order. Returns when nothing is left to send and all is answered, or when the sealer
   * stops (after the appends in flight), or at the first append that did not succeed: then, once every append sent
   * has its answer, it re-reads the chain's size. False when an append failed with an error (the caller backs off).
   */
  async #append(): Promise<boolean> {
    const host = this.#host;
    const chunk = Math.max(1, Math.ceil(host.pipeline / CHUNKS_IN_FLIGHT));
    const inFlight: { batch: ChainLink[]; results: Promise<PromiseSettledResult<AppendResult>[]> }[] = [];
    let sending = 0;
    /** Index in pending of the first link not sent yet (links before it are in flight). */
    let unsent = 0;
    try {
      for (;;) {
        while (host.running() && sending < host.pipeline && unsent < host.pending.length) {
          const batch = host.pending.slice(unsent, unsent + Math.min(chunk, host.pipeline - sending));
          inFlight.push({ batch, results: this.#appendAll(batch) });
          unsent += batch.length;
          sending += batch.length;
        }
        const next = inFlight.shift();
        if (!next) return true;
        const results = await next.results;
        sending -= next.batch.length;
        let done = 0;
        while (done < results.length && isOk(results[done]!)) done++;
        host.counts.sealed += done;
        host.confirm(next.batch, done);
        unsent -= done;
        if (done === results.length) continue;
        // Some position is taken, or an outcome is unknown: with every append sent answered, find out how far the
        // chain really goes. (Appends sent after the failed one are not counted as sealed even when they succeeded:
        // the next round reads them back.)
        for (const later of inFlight.splice(0)) results.push(...(await later.results));
        host.counts.conflicts += results.filter((r) => r.status === "fulfilled" && !r.value.ok).length;
        const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failure) host.report(failure.reason);
        this.#known = Math.max(this.#known, (await host.store.head()).size);
        return failure === undefined;
      }
    } finally {
      // Should anything throw, no append is left unanswered behind the caller's next round.
      await Promise.all(inFlight.map((c) => c.results));
    }
  }

  /** One chunk of appends, each link at its own position; settles when each has its answer. */
  #appendAll(batch: ChainLink[]): Promise<PromiseSettledResult<AppendResult>[]> {
    const store = this.#host.store;
    return hasAppendAll(store)
      ? store.appendAll(batch)
      : Promise.allSettled(batch.map((link) => store.append(link, link.n - 1)));
  }

  /** Compares links of this batch that the chain already holds with what is stored. */
  async #verify(batch: ChainLink[]): Promise<boolean> {
    const host = this.#host;
    const mine = batch.filter((l) => l.n <= this.#known);
    const last = mine[mine.length - 1]!;
    let checked = 0;
    for await (const stored of host.store.links(mine[0]!.n, last.n)) {
      const own = mine[checked];
      if (!own) break;
      if (stored.n !== own.n || stored.event !== own.event || stored.hash !== own.hash) {
        throw forkError(own.n, "another writer stored a different link", { stored: stored.hash, computed: own.hash });
      }
      checked++;
    }
    host.counts.verified += checked;
    host.confirm(batch, checked);
    // Fewer than expected: the chain is shorter than believed (it cannot shrink: a stale size), so append the rest.
    if (checked < mine.length) this.#known = host.confirmedSize();
    return true;
  }
}

/**
 * A store that appends a batch in one call with the outcome `Promise.allSettled` of one `append(link, link.n - 1)` per
 * link would give (the JetStream store: one promise for the batch instead of three per link).
 */
interface BatchAppender {
  appendAll(links: readonly ChainLink[]): Promise<PromiseSettledResult<AppendResult>[]>;
}

function hasAppendAll(store: AuditStore): store is AuditStore & BatchAppender {
  return typeof (store as Partial<BatchAppender>).appendAll === "function";
}

function isOk(r: PromiseSettledResult<{ ok: boolean }>): boolean {
  return r.status === "fulfilled" && r.value.ok;
}
