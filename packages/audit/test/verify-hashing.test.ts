/**
 * The verifier's hex hashing gives the sealer's digests: LinkRecomputer the links of makeLink and the leaves of
 * eventLeafHash, DigestTree the roots of TreeBuilder (and MemoryTree), at every size, for any events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GENESIS, makeLink } from "../src/chain.js";
import { eventLeafHash } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { rootAt } from "../src/merkle/tree.js";
import { TreeBuilder } from "../src/merkle/tree-builder.js";
import { DigestTree } from "../src/verify/digest-tree.js";
import { LinkRecomputer } from "../src/verify/recompute.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("verifier hashing", () => {
  it("LinkRecomputer: the links of makeLink and the leaves of eventLeafHash", () => {
    const event = fc.record({ subject: fc.oneof(fc.constant("plexus.m.a"), fc.string({ maxLength: 20 })), data: fc.uint8Array({ maxLength: 9_000 }) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), fc.boolean(), (events, leaves) => {
        const r = new LinkRecomputer(GENESIS, leaves);
        let prev = GENESIS;
        for (const [i, e] of events.entries()) {
          const want = makeLink(prev, { n: i + 1, ...e, storedAt: 0 });
          const got = r.next({ n: i + 1, ...e, storedAt: 0 });
          expect(got).toEqual({ event: want.event, hash: want.hash, leaf: leaves ? Buffer.from(eventLeafHash(e.subject, e.data)).toString("latin1") : undefined });
          prev = want.hash;
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
