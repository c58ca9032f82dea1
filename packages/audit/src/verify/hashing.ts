/**
 * The chain's hashes (chain.ts) computed without per-call allocations: one reused 72-byte input buffer for
 * h_n = SHA-256( h_{n-1} ‖ uint64be(n) ‖ eventHash_n ). Same bytes, same digests; tested against chain.ts.
 */
import { createHash } from "node:crypto";
import type { ChainLink, LogEvent } from "../types.js";

const HEX64 = /^[0-9a-f]{64}$/;
const SEPARATOR = new Uint8Array([0]);

export class ChainHasher {
  readonly #input = Buffer.alloc(72);

  event(e: LogEvent): string {
    return createHash("sha256").update(e.subject, "utf8").update(SEPARATOR).update(e.data).digest("hex");
  }

  /** h_n; a malformed `prev` or `event` (not 64 lowercase hex digits) yields "" so it never matches a stored hash. */
  link(prev: string, n: number, event: string): string {
    if (prev.length !== 64 || event.length !== 64) return "";
    const b = this.#input;
    if (b.write(prev, 0, "hex") !== 32) return "";
    b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 32);
    b.writeUInt32BE(n >>> 0, 36);
    if (b.write(event, 40, "hex") !== 32) return "";
    return createHash("sha256").update(b).digest("hex");
  }

  /** Whether `hash` is h_n for `event` sealed at position `n` on top of `prev` (never for malformed input). */
  follows(prev: string, n: number, event: string, hash: string): boolean {
    const h = this.link(prev, n, event);
    return h !== "" && h === hash;
  }

  /** Whether the pair is exactly what sealing `event` at position `n` on top of `prev` gives. */
  seals(prev: string, n: number, event: LogEvent | undefined, link: ChainLink | undefined): boolean {
    if (!event || !link) return false;
    const e = this.event(event);
    return e === link.event && this.follows(prev, n, e, link.hash);
  }
}

/** A well-formed hash: 64 lowercase hex digits. */
export function isHash(h: unknown): h is string {
  return typeof h === "string" && HEX64.test(h);
}
