/**
 * The verifier's Merkle tree (RFC 9162, as merkle/tree-builder.ts computes it), fed leaf hashes as binary strings (the
 * 32 digest bytes as a latin1 string: what `crypto.hash` hands back cheapest, and copied into a buffer twice as fast
 * as hex is decoded) and keeping only what a root needs: at each level, the left node still waiting for its right
 * sibling (present exactly where the size has a 1 bit). A pair's parent is SHA-256(0x01 ‖ left ‖ right) over one
 * reused 65-byte buffer; about one parent per leaf. The root of the current size folds the waiting nodes from the
 * lowest level up: MTH splits at the largest power of two below the size, which is the highest waiting node.
 */
import * as crypto from "node:crypto";
import { EMPTY_ROOT, nodeHash } from "../merkle/hash.js";

type OneShotBinary = (algorithm: string, data: Uint8Array, outputEncoding: "latin1") => string;
const oneShot = (crypto as unknown as { hash?: OneShotBinary }).hash;

export class DigestTree {
  #size = 0;
  /** waiting[L]: the left node at level L without its right sibling yet, or "". */
  readonly #waiting: string[] = [];
  readonly #input = Buffer.alloc(65);

  constructor() {
    this.#input[0] = 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a leaf hash, as a binary (latin1) string of its 32 bytes. */
  push(leaf: string): void {
    this.#size++;
    let node = leaf;
    for (let level = 0; ; level++) {
      const left = this.#waiting[level];
      if (left === undefined || left === "") {
        this.#waiting[level] = node;
        return;
      }
      this.#waiting[level] = "";
      node = this.#parent(left, node);
    }
  }

  /** The root of the tree of the leaves pushed so far. */
  root(): Uint8Array {
    let acc: string | undefined;
    for (const node of this.#waiting) {
      if (node === undefined || node === "") continue;
      acc = acc === undefined ? node : this.#parent(node, acc);
    }
    return acc === undefined ? EMPTY_ROOT : Buffer.from(acc, "latin1");
  }

  #parent(left: string, right: string): string {
    if (!oneShot)
      return Buffer.from(nodeHash(Buffer.from(left, "latin1"), Buffer.from(right, "latin1"))).toString("latin1");
    this.#input.write(left, 1, "latin1");
    this.#input.write(right, 33, "latin1");
    return oneShot("sha256", this.#input, "latin1");
  }
}
