import { describe, expect, it } from "vitest";
import { agentToken, meshSubjects, newId, type Envelope } from "@plexus/core";
import { generateKeyPair, signEnvelope } from "@plexus/identity";
import { checkInbound, ReceiptTracker, ReplayGuard } from "../src/index.js";
import { rangeMembership, seqsToMatch } from "../src/internal.js";
import { inRanges, toRanges } from "../src/seq-ranges.js";
import { MAX_WATCHED } from "../src/receipt-tracker.js";

const subjects = meshSubjects("unit");
const alice = generateKeyPair();
const bob = generateKeyPair();
const encoder = new TextEncoder();

function signed(seq: number, extra: Partial<Envelope> = {}): { envelope: Envelope; hash: string } {
  return signEnvelope(
    { v: 1, id: newId(), from: alice.did, to: bob.did, type: "t", body: seq, ts: Date.now(), seq, ...extra },
    alice,
  );
}

describe("seq ranges", () => {
  it("merge consecutive numbers and ignore duplicates", () => {
    expect(toRanges([5, 1, 2, 3, 3, 7, 8])).toEqual([
      [1, 3],
      [5, 5],
      [7, 8],
    ]);
    expect(
      inRanges(
        [
          [1, 3],
          [7, 8],
        ],
        8,
      ),
    ).toBe(true);
    expect(
      inRanges(
        [
          [1, 3],
          [7, 8],
        ],
        5,
      ),
    ).toBe(false);
  });
});

describe("matching hostile receipt ranges", () => {
  it("costs at most the smaller of what the ranges name and what is waiting, whatever widths they claim", () => {
    const waiting = new Map([
      [3, 1],
      [7, 1],
      [1e15, 1],
    ]);
    expect(seqsToMatch([[[1, 2 ** 53]]], waiting).sort((a, b) => a - b)).toEqual([3, 7, 1e15]);
    expect(seqsToMatch([[[3, 4]], [[7, 7]]], waiting)).toEqual([3, 7]);
    expect(seqsToMatch([[[1, 2 ** 53]]], new Map())).toEqual([]);
    const member = rangeMembership([
      [10, 20],
      [1, 2 ** 53],
      [5, 6],
    ]);
    expect([member(0), member(1), member(2 ** 53), member(2 ** 53 + 2)]).toEqual([false, true, true, false]);
  });

  it("a receipt claiming [1, 2^53] settles only what was sent, at once", () => {
    const t = new ReceiptTracker();
    t.expect("m1", bob.did, 1);
    const receipt = signEnvelope(
      {
        v: 1,
        id: newId(),
        from: bob.did,
        to: alice.did,
        type: "acp.receipt",
        body: { delivered: [], processed: [[1, 2 ** 53]], failed: [] },
        ts: Date.now(),
        seq: 1,
      },
      bob,
    );
    expect(t.apply(receipt.envelope)).toBe(true);
    expect(t.latest("m1")?.status).toBe("processed");
    expect(t.watching).toBe(0);
  });
});

describe("replay guard", () => {
  it("tells in-order, gap, reordered, chain-broken, redelivery and replay apart", () => {
    const g = new ReplayGuard();
    const e1 = signed(1);
    const e2 = signed(2, { prev: e1.hash });
    const e4 = signed(4, { prev: "x".repeat(43) });
    const e3 = signed(3);
    const e5 = signed(5, { prev: "y".repeat(43) });
    expect(g.check(e1.envelope, e1.hash, 10, "c")).toMatchObject({ replay: false, order: { status: "first-seen" } });
    expect(g.check(e2.envelope, e2.hash, 11, "c")).toMatchObject({
      replay: false,
      redelivery: false,
      order: { status: "in-order" },
    });
    expect(g.check(e4.envelope, e4.hash, 12, "c")).toMatchObject({ order: { status: "gap", expected: 3 } });
    expect(g.check(e3.envelope, e3.hash, 13, "c")).toMatchObject({ order: { status: "reordered" } });
    expect(g.check(e5.envelope, e5.hash, 14, "c")).toMatchObject({ order: { status: "chain-broken" } });
    expect(g.check(e2.envelope, e2.hash, 11, "c")).toMatchObject({ replay: false, redelivery: true });
    expect(g.check(e2.envelope, e2.hash, 99, "c")).toMatchObject({ replay: true });
  });

  it("remembers envelopes found in the stream: the same position is not a redelivery, another position is a replay", () => {
    const g = new ReplayGuard();
    const e1 = signed(1);
    const e2 = signed(2, { prev: e1.hash });
    const resigned = signed(2, { prev: e1.hash });
    g.remember(e1.envelope, e1.hash, 10, "c", true);
    g.remember(e2.envelope, e2.hash, 11, "c", false);
    expect(g.check(e1.envelope, e1.hash, 10, "c")).toMatchObject({ replay: false, redelivery: false, known: true });
    expect(g.check(e1.envelope, e1.hash, 30, "c")).toMatchObject({ replay: true });
    expect(g.check(resigned.envelope, resigned.hash, 31, "c")).toMatchObject({ replay: true });
    // The head was set from the handled one, so the next is in order.
    expect(g.check(e2.envelope, e2.hash, 11, "c")).toMatchObject({
      replay: false,
      known: true,
      order: { status: "in-order" },
    });
  });

  it("keeps ids per sender and positions per stream: another member reusing an id makes no replay of the real envelope", () => {
    const g = new ReplayGuard();
    const real = signed(1);
    // Mallory copies the id of alice's envelope (seen on a topic) into one of her own, stored first.
    const copy = signEnvelope(
      { ...real.envelope, from: bob.did, to: alice.did, sig: undefined } as unknown as Envelope,
      bob,
    );
    expect(g.check(copy.envelope, copy.hash, "PLEXUS_X:7", "inbox:a")).toMatchObject({ replay: false });
    expect(g.check(real.envelope, real.hash, "TOPICS_PLEXUS_X:7", "topic:news")).toMatchObject({
      replay: false,
      redelivery: false,
    });
    // The same position of another stream is another message: a second copy there is a replay, not a redelivery.
    expect(g.check(real.envelope, real.hash, "PLEXUS_X:7", "topic:news")).toMatchObject({ replay: true });
  });

  it("forgets ids after its window", () => {
    const g = new ReplayGuard(1_000);
    const e = signed(1);
    g.check(e.envelope, e.hash, 1, "c", 0);
    expect(g.check(e.envelope, e.hash, 2, "c", 5_000)).toMatchObject({ replay: false });
  });
});

describe("inbound checks", () => {
  const me = agentToken(bob.did);
  const subject = subjects.message("inbox", me, agentToken(alice.did));
  const check = (data: string | Uint8Array, on = subject, storedAt = Date.now()) =>
    checkInbound(
      { subject: on, data: typeof data === "string" ? encoder.encode(data) : data, storedAt },
      { subjects, me },
    );

  it("accept a good envelope and give its hash", () => {
    const e = signed(1);
    expect(check(JSON.stringify(e.envelope))).toMatchObject({ ok: true, hash: e.hash, kind: "inbox" });
  });

  it("refuse each kind of bad input with its reason, never throwing", () => {
    const e = signed(1).envelope;
    expect(check(new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false, reason: "malformed_json" });
    expect(check("[1,2]")).toMatchObject({ ok: false, reason: "schema_invalid" });
    expect(check("null")).toMatchObject({ ok: false, reason: "schema_invalid" });
    const { sig: _s, ...unsigned } = e;
    expect(check(JSON.stringify(unsigned))).toMatchObject({ ok: false, reason: "unsigned", from: alice.did });
    expect(check(JSON.stringify({ ...e, body: 2 }))).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(
      check(JSON.stringify(e), subjects.message("inbox", agentToken(alice.did), agentToken(alice.did))),
    ).toMatchObject({ reason: "subject_mismatch" });
    expect(check(JSON.stringify(e), subjects.message("inbox", me, agentToken(bob.did)))).toMatchObject({
      reason: "subject_mismatch",
    });
    expect(check(JSON.stringify(e), subject, Date.now() + 10 * 60_000)).toMatchObject({ reason: "stale" });
    expect(check(JSON.stringify({ ...e, body: "z".repeat(200_000) }))).toMatchObject({ reason: "oversized" });
  });
});

describe("receipt tracker", () => {
  it("matches cumulative receipts to ids and keeps the strongest status", async () => {
    const t = new ReceiptTracker();
    t.expect("A", bob.did, 1);
    t.expect("B", bob.did, 2);
    t.expect("C", bob.did, 3);
    const receipt = (body: unknown) =>
      signEnvelope({ v: 1, id: newId(), from: bob.did, to: alice.did, type: "acp.receipt", body, ts: 1, seq: 1 }, bob)
        .envelope;
    expect(t.apply(receipt({ delivered: [[1, 3]], processed: [[1, 2]], failed: [] }))).toBe(true);
    expect(t.latest("A")?.status).toBe("processed");
    expect(t.latest("C")?.status).toBe("delivered");
    const waiting = t.wait("C", "processed", 1_000);
    t.apply(receipt({ delivered: [], processed: [], failed: [{ id: "C", seq: 3, reason: "boom", attempts: 5 }] }));
    await expect(waiting).resolves.toMatchObject({ id: "C", status: "failed", reason: "boom" });
    t.apply(receipt({ delivered: [[1, 1]], processed: [], failed: [] }));
    expect(t.latest("A")?.status).toBe("processed");
    expect(t.apply(receipt({ nonsense: true }))).toBe(false);
  });

  it("stays bounded when recipients never answer", () => {
    const t = new ReceiptTracker();
    for (let seq = 1; seq <= MAX_WATCHED + 10; seq++) t.expect(`id-${seq}`, bob.did, seq);
    expect(t.watching).toBe(MAX_WATCHED);
  });
});
