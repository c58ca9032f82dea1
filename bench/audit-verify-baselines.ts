/**
 * The baselines `audit.ts` measures verification against, in the same run on the same data (the host's speed moves a
 * lot from one run to the next; a ratio to something measured beside it does not):
 *
 * - live: reading the same mesh log with the verifier's own reader (ordered consumer, callback mode, whole batches,
 *   each message turned into a LogEvent) and nothing else: no hashing, no links, no checkpoints. What the NATS client
 *   alone costs; verification can at best approach it.
 * - export file: reading the same export in 1 MB chunks and `JSON.parse` of every line (and the payload's base64
 *   decoded), nothing checked. What reading the file costs before any hash.
 */
import { open } from "node:fs/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshLogBatches } from "@plexus/audit/internal";

/** Events read per second: the whole log 1…n through the verifier's batched reader, nothing done with them. */
export async function readLogBaseline(
  nc: NatsConnection,
  mesh: string,
  n: number,
  now: () => number,
): Promise<{ events: number; ms: number }> {
  const t = now();
  const reader = meshLogBatches(nc, mesh, 1, n).batches();
  let events = 0;
  for (let r = await reader.next(); !r.done; r = await reader.next()) events += r.value.length;
  return { events, ms: now() - t };
}

/** Lines read and parsed per second: the whole export, JSON.parse per line, the payload decoded. */
export async function parseFileBaseline(path: string, now: () => number): Promise<{ lines: number; ms: number }> {
  const t = now();
  const file = await open(path, "r");
  let lines = 0;
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let start = 0;
      for (let end = chunk.indexOf(0x0a, start); end >= 0; end = chunk.indexOf(0x0a, start)) {
        const v = JSON.parse(chunk.toString("utf8", start, end)) as { data?: string };
        if (typeof v.data === "string") Buffer.from(v.data, "base64");
        lines++;
        start = end + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
  } finally {
    await file.close();
  }
  return { lines, ms: now() - t };
}
