/**
 * The verifier's Merkle tree (RFC 9162, as merkle/tree-builder.ts computes it), fed leaf hashes as hex and keeping
 * only what a root needs: at each level, the left node still waiting for its right sibling (present exactly where the
 * size has a 1 bit). A pair's parent is SHA-256(0x01 ‖ left ‖ right) over one reused 65-byte buffer, taken as hex (the
 * cheap output of `crypto.hash`); about one parent per leaf. The root of the current size folds the waiting nodes
 * from the lowest level up: MTH splits at the largest power of two below the size, which is the highest waiting node.
 */
import * as crypto from "node:crypto";
import { EMPTY_ROOT, nodeHash } from "../merkle/hash.js";

type OneShotHex = (algorithm: string, data: Uint8Array, outputEncoding: "hex") => string;
const oneShot = (crypto as unknown as { hash?: OneShotHex }).hash;

export class HexTree {
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
    return acc === undefined ? EMPTY_ROOT : Buffer.from(acc, "hex");
  }

  #parent(left: string, right: string): string {
    if (!oneShot) return Buffer.from(nodeHash(Buffer.from(left, "hex"), Buffer.from(right, "hex"))).toString("hex");
    this.#input.write(left, 1, "hex");
    this.#input.write(right, 33, "hex");
    return oneShot("sha256", this.#input, "hex");
  }
}
