/**
 * The Merkle tree (RFC 9162): roots against a direct transcription of the RFC's MTH definition, inclusion and
 * consistency proofs for random sizes and positions (fast-check), each checked by this project's verifier and, for
 * inclusion, by @sigstore/verify's independent RFC 6962 verifier; every flipped byte, wrong index or wrong size fails.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// An independent RFC 6962 inclusion verifier (Sigstore's, used for Rekor), not this project's code.
import { verifyMerkleInclusion } from "@sigstore/verify/dist/tlog/merkle.js";
import { EMPTY_ROOT, leafHash, leafInput, nodeHash } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { consistencyPath, inclusionPath, isPowerOfTwo, rootAt } from "../src/merkle/tree.js";
import { verifyConsistency, verifyInclusion } from "../src/merkle/verify.js";

const inputs = (n: number) =>
  Array.from({ length: n }, (_, i) => leafInput(`plexus.m.t.${i % 7}`, Buffer.from(`payload ${i}`)));

/** MTH(D[n]) exactly as RFC 9162 §2.1.1 defines it, recursively over the inputs. */
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return createHash("sha256").digest();
  if (d.length === 1)
    return createHash("sha256")
      .update(Buffer.from([0]))
      .update(d[0]!)
      .digest();
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return createHash("sha256")
    .update(Buffer.from([1]))
    .update(mth(d.slice(0, k)))
    .update(mth(d.slice(k)))
    .digest();
}

// Built once: a tree of 3000 leaves answers for every size up to 3000 (its complete nodes are those of each prefix).
const ALL = inputs(3000);
const TREE = new MemoryTree(ALL.map(leafHash));
const ROOTS = new Map<number, Uint8Array>();
const root = (n: number) => ROOTS.get(n) ?? ROOTS.set(n, rootAt(TREE, n)).get(n)!;

function flip(hashes: Uint8Array[], which: number, byte: number): Uint8Array[] {
  return hashes.map((h, i) => {
    if (i !== which) return h;
    const c = Uint8Array.from(h);
    c[byte % c.length]! ^= 1;
    return c;
  });
}

function sigstoreAccepts(
  input: Uint8Array,
  index: number,
  size: number,
  path: Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  try {
    // Only the fields its Merkle check reads (the Rekor entry type has more).
    const entry = {
      canonicalizedBody: Buffer.from(input),
      inclusionProof: { logIndex: String(index), hashes: path.map((h) => Buffer.from(h)) },
    };
    const checkpoint = { logSize: BigInt(size), logHash: Buffer.from(rootHash) };
    verifyMerkleInclusion(
      entry as unknown as Parameters<typeof verifyMerkleInclusion>[0],
      checkpoint as unknown as Parameters<typeof verifyMerkleInclusion>[1],
    );
    return true;
  } catch {
    return false;
  }
}

describe("isPowerOfTwo", () => {
  it("is exact for every safe integer size (log2 rounds from 2^49 on: 2^k ± 1 are not powers of two)", () => {
    for (let k = 0; k <= 52; k++) {
      expect(isPowerOfTwo(2 ** k)).toBe(true);
      if (k >= 2) expect(isPowerOfTwo(2 ** k + 1)).toBe(false);
      if (k >= 2) expect(isPowerOfTwo(2 ** k - 1)).toBe(false);
    }
    expect(isPowerOfTwo(0)).toBe(false);
  });
});

describe("Merkle tree hashing", () => {
  it("computes the RFC 9162 root for every size up to 70 and some larger ones", () => {
    expect(Buffer.from(rootAt(TREE, 0)).toString("hex")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(rootAt(TREE, 0)).toEqual(EMPTY_ROOT);
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 255, 256, 257, 1000, 2999]) {
      expect(Buffer.from(root(n)).toString("hex"), `size ${n}`).toBe(Buffer.from(mth(ALL.slice(0, n))).toString("hex"));
    }
  });

  it("matches the RFC 6962 test vector of the empty leaf and a two-leaf tree", () => {
    // Leaf hash of the empty input (RFC 6962 reference tests): SHA-256(0x00).
    expect(Buffer.from(leafHash(new Uint8Array())).toString("hex")).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
    const a = leafHash(Buffer.from([0])),
      b = leafHash(Buffer.from([0x10]));
    expect(rootAt(new MemoryTree([a, b]), 2)).toEqual(nodeHash(a, b));
  });
});

describe("inclusion proofs", () => {
  it("verify for random sizes and positions, here and with @sigstore/verify; any change fails in both", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.nat(), fc.nat(), (size, i, which, byte) => {
        const index = i % size;
        const path = inclusionPath(TREE, index, size);
        const leaf = leafHash(ALL[index]!);
        expect(verifyInclusion(leaf, index, size, path, root(size))).toBe(true);
        expect(sigstoreAccepts(ALL[index]!, index, size, path, root(size))).toBe(true);
        if (path.length > 0) {
          const bad = flip(path, which % path.length, byte);
          expect(verifyInclusion(leaf, index, size, bad, root(size))).toBe(false);
          expect(sigstoreAccepts(ALL[index]!, index, size, bad, root(size))).toBe(false);
        }
        expect(verifyInclusion(flip([leaf], 0, byte)[0]!, index, size, path, root(size))).toBe(false);
        expect(verifyInclusion(leaf, index, size, path, flip([root(size)], 0, byte)[0]!)).toBe(false);
        // Another index or size: fails unless the proof happens to be the same (a one-leaf tree has no other index).
        if (size > 1) {
          const other = (index + 1 + (which % (size - 1))) % size;
          expect(verifyInclusion(leaf, other, size, path, root(size))).toBe(false);
          expect(sigstoreAccepts(ALL[index]!, other, size, path, root(size))).toBe(false);
        }
        // A wrong size with that size's real root (the checkpoint binds size and root together).
        if (size < 3000) expect(verifyInclusion(leaf, index, size + 1, path, root(size + 1))).toBe(false);
        expect(verifyInclusion(leaf, index, index, path, root(index))).toBe(false);
        expect(verifyInclusion(leaf, index, size, [...path, leaf], root(size))).toBe(false);
        if (path.length > 0) expect(verifyInclusion(leaf, index, size, path.slice(0, -1), root(size))).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it("refuses indexes outside the tree", () => {
    expect(() => inclusionPath(TREE, 5, 5)).toThrow(RangeError);
    expect(() => inclusionPath(TREE, -1, 5)).toThrow(RangeError);
    expect(verifyInclusion(leafHash(ALL[0]!), 0, 0, [], EMPTY_ROOT)).toBe(false);
  });
});

describe("consistency proofs", () => {
  it("verify for random size pairs; any flipped byte or other size fails", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.nat(),
        fc.nat(),
        (a, b, which, byte) => {
          const [m, n] = a <= b ? [a, b] : [b, a];
          const proof = consistencyPath(TREE, m, n);
          expect(verifyConsistency(m, n, proof, root(m), root(n))).toBe(true);
          if (m === n) return;
          expect(proof.length).toBeGreaterThan(0);
          expect(verifyConsistency(m, n, flip(proof, which % proof.length, byte), root(m), root(n))).toBe(false);
          expect(verifyConsistency(m, n, proof, flip([root(m)], 0, byte)[0]!, root(n))).toBe(false);
          expect(verifyConsistency(m, n, proof, root(m), flip([root(n)], 0, byte)[0]!)).toBe(false);
          if (n < 3000) expect(verifyConsistency(m, n + 1, proof, root(m), root(n + 1))).toBe(false);
          if (m > 1 && !samePath(m - 1, n, proof))
            expect(verifyConsistency(m - 1, n, proof, root(m - 1), root(n))).toBe(false);
          expect(verifyConsistency(m, n, proof.slice(0, -1), root(m), root(n))).toBe(false);
          expect(verifyConsistency(m, n, [...proof, root(m)], root(m), root(n))).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a tree that rewrote an early leaf has no consistency proof with the original", () => {
    const forked = new MemoryTree(ALL.slice(0, 500).map((x, i) => leafHash(i === 100 ? Buffer.from("other") : x)));
    for (const m of [101, 128, 200, 499]) {
      const proof = consistencyPath(forked, m, 500);
      expect(verifyConsistency(m, 500, proof, root(m), rootAt(forked, 500))).toBe(false);
      expect(verifyConsistency(m, 500, consistencyPath(TREE, m, 500), root(m), rootAt(forked, 500))).toBe(false);
    }
    expect(verifyConsistency(0, 10, [], EMPTY_ROOT, root(10))).toBe(true);
    expect(verifyConsistency(10, 10, [], root(10), root(10))).toBe(true);
    expect(verifyConsistency(10, 10, [], root(10), root(11))).toBe(false);
    expect(verifyConsistency(11, 10, [], root(11), root(10))).toBe(false);
  });
});

/** A proof from m-1 can equal the one from m only by coincidence of shape; skip those pairs rather than assert. */
function samePath(m: number, n: number, proof: Uint8Array[]): boolean {
  const other = consistencyPath(TREE, m, n);
  return other.length === proof.length && other.every((h, i) => Buffer.compare(h, proof[i]!) === 0);
}

describe("LeafHasher", () => {
  it("gives eventLeafHash's digests for events of changing subjects and sizes", async () => {
    const { LeafHasher, eventLeafHash } = await import("../src/merkle/hash.js");
    const h = new LeafHasher();
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 9000 }), (subject, data) => {
        expect(Buffer.from(h.hash(subject, data)).toString("hex")).toBe(
          Buffer.from(eventLeafHash(subject, data)).toString("hex"),
        );
        expect(Buffer.from(h.hash(subject, data.subarray(0, 3))).toString("hex")).toBe(
          Buffer.from(eventLeafHash(subject, data.subarray(0, 3))).toString("hex"),
        );
      }),
      { numRuns: 300 },
    );
  });
});
