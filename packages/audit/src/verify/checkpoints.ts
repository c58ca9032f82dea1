/**
 * The checkpoints a verification checks: those inside its range, in size order, with their signatures judged. A
 * checkpoint with a Merkle root must carry a checkpoint note signed by its signer for the same size and root
 * (verifyCheckpoint), and, when the walk recomputes the tree (from position 1), that root must be the tree's.
 */
import { verifyCheckpoint } from "../sealer/checkpoint.js";
import type { Checkpoint } from "../types.js";
import type { Finding } from "./classify.js";
import { short } from "./classify.js";

export type CheckpointFaultKind = "truncated" | "checkpoint_mismatch" | "checkpoint_signature";

export interface CheckpointSummary {
  /** Checkpoints whose signature and head were checked and held. */
  checked: number;
  /** The largest one checked. */
  last?: Checkpoint;
  /** Who signed the checked ones, with how many each. */
  signers: Record<string, number>;
  /** How many of the checked ones had their Merkle root compared with the tree recomputed from the log. */
  roots: number;
}

export class CheckpointPlan {
  readonly #list: Checkpoint[];
  readonly #trusted: Set<string> | undefined;
  /** A checkpoint without a usable size cannot be placed on the chain: it fails before anything else. */
  #malformed: Checkpoint | undefined;
  #next = 0;
  readonly summary: CheckpointSummary = { checked: 0, signers: {}, roots: 0 };

  /** Keeps those with from-1 ≤ size ≤ to (the ones this range can check), sorted by size. */
  constructor(all: Checkpoint[], from: number, to: number | undefined, trustedSigners: string[] | undefined) {
    this.#list = all
      .filter((cp) => cp.size >= from - 1 && (to === undefined || cp.size <= to))
      .sort((a, b) => a.size - b.size);
    this.#trusted = trustedSigners ? new Set(trustedSigners) : undefined;
    this.#malformed = all.find((cp) => !Number.isSafeInteger(cp.size) || cp.size < 0);
  }

  /** The size of the next checkpoint to check (Infinity when none is left). */
  get nextSize(): number {
    return this.#list[this.#next]?.size ?? Number.POSITIVE_INFINITY;
  }

  /** Whether any checkpoint in range carries a Merkle root (the walk then recomputes the tree). */
  get hasRoots(): boolean {
    return this.#list.some((cp) => cp.root !== undefined);
  }

  /** Checks every checkpoint of size `size` against the recomputed h_size and, when given, the tree's root. */
  check(size: number, head: string, root?: () => Uint8Array): Finding<CheckpointFaultKind> | undefined {
    if (this.#malformed) {
      const cp = this.#malformed;
      this.#malformed = undefined;
      return {
        kind: "checkpoint_signature",
        detail: `a checkpoint has no valid size (${JSON.stringify(cp.size)}; ${describe(cp)})`,
      };
    }
    for (let cp = this.#list[this.#next]; cp !== undefined && cp.size <= size; cp = this.#list[++this.#next]) {
      const bad = this.#signatureFault(cp);
      if (bad) return bad;
      if (cp.head !== head) {
        return {
          kind: "checkpoint_mismatch",
          detail: `the checkpoint at ${cp.size} (${describe(cp)}) says the head is ${short(cp.head)}, the chain recomputes ${short(head)}`,
        };
      }
      if (cp.root !== undefined && root) {
        const tree = Buffer.from(root()).toString("hex");
        if (cp.root !== tree) {
          return {
            kind: "checkpoint_mismatch",
            detail: `the checkpoint at ${cp.size} (${describe(cp)}) says the Merkle root is ${short(cp.root)}, the log recomputes ${short(tree)}`,
          };
        }
        this.summary.roots++;
      }
      this.summary.checked++;
      this.summary.last = cp;
      this.summary.signers[cp.signer] = (this.summary.signers[cp.signer] ?? 0) + 1;
    }
    return undefined;
  }

  /** The chain ended after `end` links: a validly signed checkpoint beyond it means it was cut. */
  atEnd(end: number): { position: number; finding: Finding<CheckpointFaultKind> } | undefined {
    const rest = this.#list.slice(this.#next).filter((cp) => cp.size > end);
    const valid = rest.find((cp) => this.#signatureFault(cp) === undefined);
    if (valid) {
      return {
        position: end + 1,
        finding: {
          kind: "truncated",
          detail: `the chain ends at ${end}, but the checkpoint ${describe(valid)} covers ${valid.size} links`,
        },
      };
    }
    const first = rest[0];
    const fault = first && this.#signatureFault(first);
    return first && fault ? { position: first.size, finding: fault } : undefined;
  }

  #signatureFault(cp: Checkpoint): Finding<CheckpointFaultKind> | undefined {
    if (!verifyCheckpoint(cp))
      return {
        kind: "checkpoint_signature",
        detail: `the checkpoint at ${cp.size} (${describe(cp)}) has an invalid signature`,
      };
    if (this.#trusted && !this.#trusted.has(cp.signer)) {
      return {
        kind: "checkpoint_signature",
        detail: `the checkpoint at ${cp.size} is signed by ${cp.signer}, which is not a trusted signer`,
      };
    }
    return undefined;
  }
}

function describe(cp: Checkpoint): string {
  const at = Number.isFinite(cp.at) && Math.abs(cp.at) <= 8.64e15 ? new Date(cp.at).toISOString() : "?";
  return `signed ${at} by ${cp.signer || "(nobody)"}`;
}
