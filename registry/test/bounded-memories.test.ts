import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PendingRequests, RecentMessages, type RecentMessage } from "../src/projection/index.js";

/** The projection's bounded memories: what they keep is a function of what was added, in order (snapshots rely on it). */
describe("RecentMessages", () => {
  const message = (seq: number, envSeq: number, refused?: string): RecentMessage => ({
    seq,
    kind: "inbox",
    from: "did:a",
    to: "did:b",
    solicited: false,
    ...(refused ? { refused } : { id: `id-${envSeq}`, envSeq }),
  });

  it("keeps the last `max` messages in log order, forgets the oldest first, and round-trips through JSON (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.boolean(), { maxLength: 80 }), (max, refusals) => {
        const recent = new RecentMessages(max);
        refusals.forEach((refused, i) => recent.add(message(i + 1, i + 1, refused ? "bad_signature" : undefined)));
        const kept = refusals.map((_, i) => i + 1).slice(-max);
        expect(recent.toJSON().map((m) => m.seq)).toEqual(kept);
        expect(recent.get(kept[0] ?? 0)?.seq).toBe(kept[0]);
        if (refusals.length > max) expect(recent.get(refusals.length - max)).toBeUndefined();
        // Only messages that passed and are still held wait for a receipt.
        const waiting = [...(recent.awaiting("did:a", "did:b")?.keys() ?? [])];
        expect(waiting).toEqual(kept.filter((seq) => !refusals[seq - 1]));
        const copy = RecentMessages.fromJSON(recent.toJSON(), max);
        expect(copy.toJSON()).toEqual(recent.toJSON());
        expect([...(copy.awaiting("did:a", "did:b")?.keys() ?? [])]).toEqual(waiting);
      }),
    );
  });

  it("judges a message once, and an earlier copy of an id is found until it is forgotten", () => {
    const recent = new RecentMessages(2);
    recent.add(message(1, 1));
    expect(recent.earlierCopy("did:b", "did:a", "id-1")).toBe(1);
    const m = recent.get(1) as RecentMessage;
    expect(recent.judge(m)).toBe(true);
    expect(recent.judge(m)).toBe(false);
    expect(recent.awaiting("did:a", "did:b")).toBeUndefined();
    recent.add(message(2, 2));
    recent.add(message(3, 3));
    expect(recent.earlierCopy("did:b", "did:a", "id-1")).toBeUndefined();
  });
});

describe("PendingRequests", () => {
  it("expires in log order, skips answered requests, evicts the oldest live one when full, and keeps one request per requester and id", () => {
    const pending = new PendingRequests(3);
    const r = (id: string, from: string, at: number) => ({ id, from, to: "did:x", at });
    pending.add(r("1", "did:a", 10));
    pending.add(r("1", "did:b", 20)); // same id, another requester: its own request
    pending.add(r("1", "did:a", 25)); // same requester and id: ignored
    pending.add(r("2", "did:a", 30));
    expect(pending.size).toBe(3);
    expect(pending.answer("did:b", "1", "did:y")).toBeUndefined(); // not addressed to did:y
    expect(pending.answer("did:b", "1", "did:x")?.at).toBe(20);
    pending.add(r("3", "did:a", 40));
    pending.add(r("4", "did:a", 50)); // full: the oldest live one (a|1) goes, unjudged
    expect(pending.toJSON().map((p) => `${p.from}|${p.id}`)).toEqual(["did:a|2", "did:a|3", "did:a|4"]);
    expect([...pending.expire(45)].map((p) => p.id)).toEqual(["2", "3"]);
    expect([...pending.expire(1_000)].map((p) => p.id)).toEqual(["4"]);
    expect(pending.size).toBe(0);
    expect(PendingRequests.fromJSON([r("9", "did:a", 1)]).toJSON()).toEqual([r("9", "did:a", 1)]);
  });
});
