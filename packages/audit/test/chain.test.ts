import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eventHash, GENESIS, linkHash, makeLink } from "../src/chain.js";

describe("chain hashing", () => {
  it("follows h_n = H(h_{n-1} ‖ n ‖ H(subject ‖ 0 ‖ payload)) with SHA-256", () => {
    const data = new TextEncoder().encode('{"hello":1}');
    const e = createHash("sha256")
      .update(Buffer.concat([Buffer.from("plexus.m.acp.inbox.a.b"), Buffer.from([0]), data]))
      .digest("hex");
    expect(eventHash("plexus.m.acp.inbox.a.b", data)).toBe(e);
    const n = Buffer.alloc(8);
    n.writeBigUInt64BE(1n);
    const h1 = createHash("sha256")
      .update(Buffer.concat([Buffer.alloc(32), n, Buffer.from(e, "hex")]))
      .digest("hex");
    expect(linkHash(GENESIS, 1, e)).toBe(h1);
    expect(makeLink(GENESIS, { n: 1, subject: "plexus.m.acp.inbox.a.b", data, storedAt: 5 })).toEqual({
      n: 1,
      event: e,
      hash: h1,
      subject: "plexus.m.acp.inbox.a.b",
      storedAt: 5,
    });
  });

  it("binds position, order and subject", () => {
    const data = new Uint8Array([1, 2, 3]);
    const e = eventHash("s", data);
    expect(linkHash(GENESIS, 1, e)).not.toBe(linkHash(GENESIS, 2, e));
    expect(eventHash("s", data)).not.toBe(eventHash("t", data));
    const a = eventHash("s", new Uint8Array([1]));
    const b = eventHash("s", new Uint8Array([2]));
    expect(linkHash(linkHash(GENESIS, 1, a), 2, b)).not.toBe(linkHash(linkHash(GENESIS, 1, b), 2, a));
  });
});
