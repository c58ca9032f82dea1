/**
 * Export: the chain and its raw events as JSON Lines (format.ts), for compliance archives and outside witnesses.
 * A time range (since/until, by the time the mesh stored each event) exports a contiguous run of positions, headed by
 * the stored hash of the position before it, so the part is verifiable on its own.
 */
import type { Writable } from "node:stream";
import { ErrorCode, PlexusError } from "@plexus/core";
import { GENESIS } from "../chain.js";
import type { ChainLink, Checkpoint, LogEvent } from "../types.js";
import { Cursor, type Source } from "../verify/cursor.js";
import { checkpointLine, EXPORT_FORMAT, eventLine, HASH_DEFINITIONS, type ExportHeader } from "./format.js";
import { LineWriter } from "./line-writer.js";

export interface ExportOptions {
  /** Mesh events, in order, covering the links' positions. */
  events: Source<LogEvent>;
  /** Chain links, in order; the export ends with the last one (events not sealed yet are not exported). */
  links: Source<ChainLink>;
  checkpoints?: Checkpoint[] | AsyncIterable<Checkpoint>;
  out: Writable;
  mesh: string;
  /** Stored hash of the position before the first link given (default GENESIS, for links starting at 1). */
  prevHash?: string;
  /**
   * The position the links given start at (default 1): where an export with no position in it starts, so that its
   * header's `from` and `prevHash` agree (an export of a range past the chain's end).
   */
  from?: number;
  /** Export from the first position stored at or after this time (ms since the epoch). */
  since?: number;
  /** …up to the last position stored at or before this time. */
  until?: number;
  /** Called with the number of positions written, every few thousand and at the end. */
  onProgress?(written: number): void;
}

export interface ExportSummary {
  from: number;
  /** Last position written (from-1 when none was). */
  to: number;
  count: number;
  prevHash: string;
  checkpoints: number;
}

const PROGRESS_EVERY = 16_384;

export async function exportAudit(options: ExportOptions): Promise<ExportSummary> {
  const links = new Cursor(options.links);
  const events = new Cursor(options.events);
  const writer = new LineWriter(options.out);
  try {
    const run = await writePositions(options, links, events, writer);
    const summary = { ...run, checkpoints: 0 };
    // Up to the end of the chain, every checkpoint from the start on goes out, also one beyond the last link: it is
    // the evidence that the chain was cut. A range that stops early (`until`) takes those it can check.
    const high = options.until === undefined ? Number.POSITIVE_INFINITY : run.to;
    for (const cp of await inRange(options.checkpoints ?? [], run.from - 1, high)) {
      await writer.line(checkpointLine(cp));
      summary.checkpoints++;
    }
    await writer.flush();
    return summary;
  } finally {
    await Promise.allSettled([links.close(), events.close()]);
  }
}

async function writePositions(
  o: ExportOptions,
  links: Cursor<ChainLink>,
  events: Cursor<LogEvent>,
  writer: LineWriter,
) {
  const since = o.since ?? Number.NEGATIVE_INFINITY;
  const until = o.until ?? Number.POSITIVE_INFINITY;
  let prevHash = o.prevHash ?? GENESIS;
  /** Last position looked at (before the first link: the one before the links' start). */
  let last = (o.from ?? 1) - 1;
  let from = 0;
  let count = 0;
  for (let first = true; ; first = false) {
    if (links.needs(0)) await links.fill();
    const link = links.peek(0);
    if (!link) break;
    if (first && link.n > 1 && o.prevHash === undefined) {
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `the links start at ${link.n}: pass the stored hash of position ${link.n - 1} as prevHash`,
      );
    }
    // Events without a link (a fault the verifier will name) go out on a line of their own; one in the range before
    // the first link of the range starts the export (a chain missing its first link exports from the event).
    const event = await eventAt(events, link.n, async (lone) => {
      if (from === 0 && (lone.storedAt < since || lone.storedAt > until)) return;
      if (from === 0) {
        from = lone.n;
        await writer.line(JSON.stringify(header(o, from, prevHash)));
      }
      await writer.line(eventLine(lone.n, lone, undefined));
    });
    const storedAt = event?.storedAt ?? link.storedAt;
    links.advance();
    if (from === 0 && storedAt < since) {
      prevHash = link.hash;
      last = link.n;
      continue;
    }
    if (storedAt > until) break;
    if (from === 0) {
      from = link.n;
      await writer.line(JSON.stringify(header(o, from, prevHash)));
    }
    await writer.line(eventLine(link.n, event, link));
    last = link.n;
    if (++count % PROGRESS_EVERY === 0) o.onProgress?.(count);
  }
  if (from === 0) {
    from = last + 1;
    await writer.line(JSON.stringify(header(o, from, prevHash)));
  }
  o.onProgress?.(count);
  return { from, to: count === 0 ? from - 1 : last, count, prevHash };
}

/** The event at position n, if the log has it; events before n are handed to `lone`. */
async function eventAt(
  events: Cursor<LogEvent>,
  n: number,
  lone: (e: LogEvent) => Promise<void>,
): Promise<LogEvent | undefined> {
  for (;;) {
    if (events.needs(0)) await events.fill();
    const e = events.peek(0);
    if (!e || e.n > n) return undefined;
    events.advance();
    if (e.n === n) return e;
    await lone(e);
  }
}

function header(o: ExportOptions, from: number, prevHash: string): ExportHeader {
  return {
    type: "header",
    format: EXPORT_FORMAT,
    mesh: o.mesh,
    exportedAt: Date.now(),
    from,
    prevHash,
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
    hash: { ...HASH_DEFINITIONS },
  };
}

/** Checkpoints with low ≤ size ≤ high, by size. */
async function inRange(
  source: Checkpoint[] | AsyncIterable<Checkpoint>,
  low: number,
  high: number,
): Promise<Checkpoint[]> {
  const all: Checkpoint[] = [];
  for await (const cp of source) if (cp.size >= low && cp.size <= high) all.push(cp);
  return all.sort((a, b) => a.size - b.size);
}
