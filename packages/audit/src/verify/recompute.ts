/**
 * The verifier's link recomputation: the same links as `makeLink` (chain.ts) and the sealer's LinkMaker, with each
 * event's Merkle leaf hash, every digest taken as a string (hex for the event and link hashes, which are compared with
 * the stored hex; latin1 for the leaf, which only goes into the tree, DigestTree). `crypto.hash` hands back a string in
 * about half the time it takes to hand back a Buffer (no Buffer allocated per digest); the
 * bytes hashed are the same: 0x00 ‖ subject ‖ 0x00 ‖ payload in a reused scratch buffer (the event hash over all but
 * the first byte, the leaf hash over all of it), h_{n-1} ‖ uint64be(n) ‖ eventHash in a reused 72-byte one. Where
 * `crypto.hash` is missing, or the head or position is unusual, it is `makeLink` and `eventLeafHash`.
 */
import * as crypto from "node:crypto";
import { makeLink } from "../chain.js";
import { eventLeafHash } from "../merkle/hash.js";
import type { LogEvent } from "../types.js";

type OneShotString = (algorithm: string, data: Uint8Array, outputEncoding: "hex" | "latin1") => string;
const oneShot = (crypto as unknown as { hash?: OneShotString }).hash;

const HEX64 = /^[0-9a-f]{64}$/;

export interface Recomputed {
  /** The event hash, hex. */
  event: string;
  /** h_n, hex. */
  hash: string;
  /** The Merkle leaf hash, its 32 bytes as a latin1 string (when asked for). */
  leaf: string | undefined;
}

export class LinkRecomputer {
  #prev = "";
  /** `#prev` is 64 lowercase hex digits, and its bytes are at the start of `#link`. */
  #prevInLink = false;
  readonly #link = Buffer.alloc(72);
  #event = Buffer.alloc(4096);
  #subject: string | undefined;
  #subjectBytes = 0;
  readonly #leaves: boolean;

  constructor(prev: string, leaves: boolean) {
    this.#leaves = leaves;
    this.#setPrev(prev);
  }

  /** The link sealing `event` on top of the previous one; it becomes the previous one. */
  next(event: LogEvent): Recomputed {
    if (!oneShot || !this.#prevInLink || !(Number.isSafeInteger(event.n) && event.n >= 0)) {
      const link = makeLink(this.#prev, event);
      this.#setPrev(link.hash);
      return { event: link.event, hash: link.hash, leaf: this.#leaves ? Buffer.from(eventLeafHash(event.subject, event.data)).toString("latin1") : undefined };
    }
    const data = event.data;
    if (event.subject !== this.#subject || this.#event.length < this.#subjectBytes + data.length) this.#setSubject(event.subject, data.length);
    this.#event.set(data, this.#subjectBytes);
    const end = this.#subjectBytes + data.length;
    const e = oneShot("sha256", this.#event.subarray(1, end), "hex");
    const leaf = this.#leaves ? oneShot("sha256", this.#event.subarray(0, end), "latin1") : undefined;
    const link = this.#link;
    link.writeUInt32BE(Math.floor(event.n / 0x1_0000_0000), 32);
    link.writeUInt32BE(event.n >>> 0, 36);
    link.write(e, 40, "hex");
    const hash = oneShot("sha256", link, "hex");
    link.write(hash, 0, "hex");
    this.#prev = hash;
    return { event: e, hash, leaf };
  }

  #setPrev(prev: string): void {
    this.#prev = prev;
    this.#prevInLink = oneShot !== undefined && HEX64.test(prev);
    if (this.#prevInLink) this.#link.write(prev, 0, "hex");
  }

  #setSubject(subject: string, payload: number): void {
    const bytes = Buffer.byteLength(subject, "utf8") + 2;
    if (this.#event.length < bytes + payload) this.#event = Buffer.alloc(Math.max(2 * this.#event.length, bytes + payload));
    this.#event[0] = 0;
    this.#event.write(subject, 1, "utf8");
    this.#event[bytes - 1] = 0;
    this.#subject = subject;
    this.#subjectBytes = bytes;
  }
}
