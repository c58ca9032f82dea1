/**
 * The sealer's link computation: the same links as `makeLink` in chain.ts (same formula, same hex), for one event
 * after another, with about half the work per link. `makeLink` builds two Hash objects per event, decodes h_{n-1} and
 * the event hash from hex and allocates the position bytes; here each hash is one `crypto.hash` call over a reused
 * buffer (the event's `subject ‖ 0x00 ‖ payload` copied into a scratch buffer; `h_{n-1} ‖ uint64be(n) ‖ eventHash` kept
 * in a 72-byte one). Where `crypto.hash` is missing (Node before 20.12) it is `makeLink`.
 *
 * Each link also carries the event's Merkle leaf hash (`leaf`, RFC 9162: SHA-256(0x00 ‖ subject ‖ 0x00 ‖ payload)),
 * for the sealer's tree: the scratch buffer starts with that 0x00, so the leaf is one more hash over the same bytes.
 */
import * as crypto from "node:crypto";
import { makeLink } from "../chain.js";
import { eventLeafHash } from "../merkle/hash.js";
import type { ChainLink, LogEvent } from "../types.js";

type OneShotHash = ((algorithm: string, data: Uint8Array, outputEncoding: "hex") => string) &
  ((algorithm: string, data: Uint8Array, outputEncoding: "buffer") => Buffer);
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

const HEX64 = /^[0-9a-f]{64}$/;

export class LinkMaker {
  #prev = "";
  /** `#prev` is 64 lowercase hex digits, and its bytes are at the start of `#link`. */
  #prevInLink = false;
  /** h_{n-1} ‖ uint64be(n) ‖ eventHash_n. */
  readonly #link = Buffer.alloc(72);
  /** 0x00 ‖ subject ‖ 0x00 ‖ payload of the current event (the leaf prefix, then the event); grows to the largest event. */
  #event = Buffer.alloc(4096);
  #subject: string | undefined;
  /** Bytes of 0x00 ‖ `#subject` ‖ 0x00 at the start of `#event`. */
  #subjectBytes = 0;

  readonly #leaves: boolean;

  /** `leaves: false` leaves out the Merkle leaf hash (a sealer without the tree). */
  constructor(prev: string, leaves = true) {
    this.#leaves = leaves;
    this.#setPrev(prev);
  }

  /** The link that seals `event` on top of the previous one; it becomes the previous one. */
  next(event: LogEvent): ChainLink {
    // Anything unusual takes makeLink itself: a head that is not 64 lowercase hex digits (makeLink hashes whatever
    // Buffer.from(hex) makes of it), a position that is not a safe integer (makeLink throws), no crypto.hash.
    if (!oneShot || !this.#prevInLink || !(Number.isSafeInteger(event.n) && event.n >= 0)) {
      const link: ChainLink = makeLink(this.#prev, event);
      if (this.#leaves) link.leaf = eventLeafHash(event.subject, event.data);
      this.#setPrev(link.hash);
      return link;
    }
    const data = event.data;
    if (event.subject !== this.#subject || this.#event.length < this.#subjectBytes + data.length)
      this.#setSubject(event.subject, data.length);
    this.#event.set(data, this.#subjectBytes);
    const end = this.#subjectBytes + data.length;
    const e = oneShot("sha256", this.#event.subarray(1, end), "hex");
    const leaf = this.#leaves ? oneShot("sha256", this.#event.subarray(0, end), "buffer") : undefined;
    const link = this.#link;
    link.writeUInt32BE(Math.floor(event.n / 0x1_0000_0000), 32);
    link.writeUInt32BE(event.n >>> 0, 36);
    link.write(e, 40, "hex");
    const hash = oneShot("sha256", link, "hex");
    link.write(hash, 0, "hex");
    this.#prev = hash;
    this.#prevInLink = true;
    return leaf
      ? { n: event.n, event: e, hash, subject: event.subject, storedAt: event.storedAt, leaf }
      : { n: event.n, event: e, hash, subject: event.subject, storedAt: event.storedAt };
  }

  #setPrev(prev: string): void {
    this.#prev = prev;
    this.#prevInLink = oneShot !== undefined && HEX64.test(prev);
    if (this.#prevInLink) this.#link.write(prev, 0, "hex");
  }

  #setSubject(subject: string, payload: number): void {
    const bytes = Buffer.byteLength(subject, "utf8") + 2;
    if (this.#event.length < bytes + payload)
      this.#event = Buffer.alloc(Math.max(2 * this.#event.length, bytes + payload));
    this.#event[0] = 0;
    this.#event.write(subject, 1, "utf8");
    this.#event[bytes - 1] = 0;
    this.#subject = subject;
    this.#subjectBytes = bytes;
  }
}
