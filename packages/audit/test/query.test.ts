/** queryAudit over synthetic logs: filters, records that name an agent, positions and link hashes, positionAt. */
import { describe, expect, it } from "vitest";
import { GENESIS, makeLink } from "../src/chain.js";
import { positionAt, queryAudit, type AuditMatch, type QueryOptions } from "../src/query/query.js";
import type { ChainLink, LogEvent } from "../src/types.js";
import { DID_A, DID_B, envelopeBytes, syntheticChain } from "./verify-fixtures.js";

const DID_C = `did:key:z6Mk${"c".repeat(44)}`;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const chain = syntheticChain(30);
const refused = Buffer.from(
  envelopeBytes(7, { from: DID_C, to: DID_A, conversation: "bad-conv", type: "spam" }),
).toString("base64");
const extra: LogEvent[] = [
  {
    n: 31,
    subject: `plexus.t.ops.rejected.${DID_A.slice(8)}`,
    storedAt: 1_700_000_031_000,
    data: enc({
      reason: "bad_signature",
      detail: "x",
      subject: `plexus.t.acp.inbox.${DID_A.slice(8)}.${DID_C.slice(8)}`,
      streamSeq: 4,
      size: 300,
      consumer: DID_A,
      at: 1,
      raw: refused,
    }),
  },
  {
    n: 32,
    subject: `plexus.t.ops.dead.${DID_B.slice(8)}`,
    storedAt: 1_700_000_032_000,
    data: enc({
      envelope: JSON.parse(
        new TextDecoder().decode(envelopeBytes(8, { from: DID_C, to: DID_B, conversation: "dead-conv" })),
      ),
      reason: "handler failed",
      attempts: 5,
      subject: "s",
      streamSeq: 9,
      consumer: DID_B,
      at: 2,
    }),
  },
  {
    n: 33,
    subject: "plexus.t.registry.events",
    storedAt: 1_700_000_033_000,
    data: enc({ type: "AgentJoined", agent: DID_C }),
  },
  { n: 34, subject: "plexus.t.other", storedAt: 1_700_000_034_000, data: new Uint8Array([0xff, 0x00]) },
];
const events = [...chain.events, ...extra];
const links: ChainLink[] = [...chain.links];
for (const e of extra.slice(0, 2)) links.push(makeLink(links.at(-1)?.hash ?? GENESIS, e));

async function run(o: Omit<QueryOptions, "events">): Promise<AuditMatch[]> {
  const out: AuditMatch[] = [];
  for await (const m of queryAudit({ events, links, ...o })) out.push(m);
  return out;
}

describe("queryAudit", () => {
  it("by agent: envelopes as sender or recipient, and the records that name it", async () => {
    const c = await run({ agent: DID_C });
    expect(c.map((m) => [m.n, m.kind])).toEqual([
      [31, "rejected"],
      [32, "dead_letter"],
      [33, "other"],
    ]);
    expect(c[0]).toMatchObject({
      envelope: { from: DID_C, type: "spam" },
      conversation: "bad-conv",
      hash: links[30]!.hash,
      record: { reason: "bad_signature" },
    });
    expect(c[2]).toMatchObject({ type: "AgentJoined", payload: { agent: DID_C } });
    expect(c[2]!.hash).toBeUndefined(); // not sealed yet
    const a = await run({ agent: DID_A });
    expect(a.filter((m) => m.kind === "envelope")).toHaveLength(30);
    expect(a.at(-1)).toMatchObject({ n: 31, kind: "rejected" });
  });

  it("by conversation, type and time, with limit; each match carries its position, subject and link hash", async () => {
    const conv = await run({ conversation: "c-2" });
    expect(conv.map((m) => m.n)).toEqual([2, 7, 12, 17, 22, 27]);
    expect(conv[1]).toMatchObject({
      n: 7,
      subject: chain.events[6]!.subject,
      storedAt: chain.events[6]!.storedAt,
      hash: chain.links[6]!.hash,
      kind: "envelope",
      type: "acp.message",
    });
    expect((await run({ type: "acp.receipt", conversation: "c-3" })).map((m) => m.n)).toEqual([3, 18]);
    expect(
      (await run({ since: chain.events[9]!.storedAt, until: chain.events[11]!.storedAt })).map((m) => m.n),
    ).toEqual([10, 11, 12]);
    expect((await run({ agent: DID_B, limit: 3 })).map((m) => m.n)).toEqual([1, 2, 3]);
    expect(await run({ agent: DID_B, limit: 0 })).toEqual([]);
    expect((await run({})).map((m) => m.n)).toHaveLength(34);
  });

  it("positionAt: the first position stored at or after a time", async () => {
    const store = { head: async () => ({ size: 30, hash: "" }), link: async (n: number) => chain.links[n - 1] };
    expect(await positionAt(store, 0)).toBe(1);
    expect(await positionAt(store, chain.links[11]!.storedAt)).toBe(12);
    expect(await positionAt(store, chain.links[11]!.storedAt + 1)).toBe(13);
    expect(await positionAt(store, Number.MAX_SAFE_INTEGER)).toBe(31);
  });
});
