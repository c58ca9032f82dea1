/**
 * The verifier's string digests are the sealer's: LeafHasher.latin1 the leaves of eventLeafHash, DigestTree the roots
 * of TreeBuilder (and MemoryTree), at every size, for any events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventLeafHash, LeafHasher } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { rootAt } from "../src/merkle/tree.js";
import { TreeBuilder } from "../src/merkle/tree-builder.js";
import { DigestTree } from "../src/verify/digest-tree.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("verifier hashing", () => {
  it("LeafHasher.latin1: the leaves of eventLeafHash, as latin1 strings, one event after another", () => {
    const event = fc.record({
      subject: fc.oneof(fc.constant("plexus.m.a"), fc.string({ maxLength: 20 })),
      data: fc.uint8Array({ maxLength: 9_000 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const leaves = new LeafHasher();
        for (const e of events) {
          expect(leaves.latin1(e.subject, e.data)).toBe(
            Buffer.from(eventLeafHash(e.subject, e.data)).toString("latin1"),
          );
          expect(hex(leaves.hash(e.subject, e.data))).toBe(hex(eventLeafHash(e.subject, e.data)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("DigestTree: TreeBuilder's root at every size", () => {
    const builder = new TreeBuilder();
    const tree = new DigestTree();
    const all: Uint8Array[] = [];
    expect(hex(tree.root())).toBe(hex(builder.root()));
    for (let i = 0; i < 1_100; i++) {
      const leaf = eventLeafHash("s", Buffer.from(String(i)));
      builder.push(leaf);
      tree.push(Buffer.from(leaf).toString("latin1"));
      all.push(leaf);
      expect(hex(tree.root()), `size ${i + 1}`).toBe(hex(builder.root()));
    }
    expect(hex(tree.root())).toBe(hex(rootAt(new MemoryTree(all), all.length)));
  });
});
