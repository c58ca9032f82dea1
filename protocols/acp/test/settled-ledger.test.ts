import { describe, expect, it } from "vitest";
import { MAX_RANGES_PER_SENDER, SettledLedger } from "../src/settled-ledger.js";

describe("settled ledger", () => {
  it("keeps what receipts report per sender, merging ranges that arrive out of order", () => {
    const l = new SettledLedger();
    l.note("a", { processed: [[10, 12]], delivered: [[13, 13]], failed: [] });
    l.note("a", {
      processed: [
        [1, 3],
        [20, 20],
      ],
      delivered: [],
      failed: [{ id: "x", seq: 5, reason: "boom", attempts: 5 }],
    });
    l.note("a", {
      processed: [
        [4, 4],
        [6, 9],
        [13, 19],
      ],
      delivered: [],
      failed: [],
    });
    l.note("b", { processed: [[2, 2]], delivered: [], failed: [] });
    const a = Array.from({ length: 22 }, (_, i) => l.status("a", i + 1) ?? "-");
    expect(a).toEqual([
      "processed",
      "processed",
      "processed",
      "processed",
      "failed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "processed",
      "-",
      "-",
    ]);
    expect([l.status("b", 1), l.status("b", 2), l.status("c", 2)]).toEqual([undefined, "processed", undefined]);
  });

  it("reports delivered only while nothing says processed", () => {
    const l = new SettledLedger();
    l.note("a", { processed: [], delivered: [[1, 2]], failed: [] });
    expect(l.status("a", 1)).toBe("delivered");
    l.note("a", { processed: [[1, 1]], delivered: [], failed: [] });
    expect([l.status("a", 1), l.status("a", 2)]).toEqual(["processed", "delivered"]);
  });

  it("stays bounded for a sender that skips seqs on purpose: the lowest ranges are forgotten, the newest kept", () => {
    const l = new SettledLedger();
    // Every other seq, newest first (each one an insert before all others without the bound).
    const n = MAX_RANGES_PER_SENDER * 3;
    for (let i = n; i >= 1; i--) l.note("m", { processed: [[2 * i, 2 * i]], delivered: [], failed: [] });
    for (let i = n + 1; i <= n + 10; i++) l.note("m", { processed: [[2 * i, 2 * i]], delivered: [], failed: [] });
    expect(l.status("m", 2 * (n + 10))).toBe("processed");
    expect(l.status("m", 2 * (n + 10) - 1)).toBeUndefined();
    const kept = Array.from({ length: n + 10 }, (_, i) => l.status("m", 2 * (i + 1))).filter(
      (s) => s === "processed",
    ).length;
    expect(kept).toBe(MAX_RANGES_PER_SENDER);
  });
});
