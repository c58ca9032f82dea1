import { createHash } from "node:crypto";
import type { ChainLink, LogEvent } from "./types.js";

/** h_0: the head of an empty chain. */
export const GENESIS = "0".repeat(64);

const SEPARATOR = Buffer.from([0]);

/** SHA-256( subject ‖ 0x00 ‖ payload ), hex. */
export function eventHash(subject: string, data: Uint8Array): string {
  return createHash("sha256").update(subject, "utf8").update(SEPARATOR).update(data).digest("hex");
}

/** h_n = SHA-256( h_{n-1} ‖ uint64be(n) ‖ eventHash_n ), hex. */
export function linkHash(prev: string, n: number, event: string): string {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(n));
  return createHash("sha256")
    .update(Buffer.from(prev, "hex"))
    .update(position)
    .update(Buffer.from(event, "hex"))
    .digest("hex");
}

/** The link that seals `event` on top of a chain whose head is `prev`. */
export function makeLink(prev: string, event: LogEvent): ChainLink {
  const e = eventHash(event.subject, event.data);
  return { n: event.n, event: e, hash: linkHash(prev, event.n, e), subject: event.subject, storedAt: event.storedAt };
}
