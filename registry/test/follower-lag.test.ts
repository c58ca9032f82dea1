/**
 * The follower's lag (projection/follower-lag.ts): events behind the last known end, and seconds since the oldest end
 * not yet applied was seen, so a follower that keeps up under load stays near 0 s while one that stopped grows with
 * the clock.
 */
import { describe, expect, it } from "vitest";
import { LagMeter } from "../src/projection/follower-lag.js";

describe("LagMeter", () => {
  it("is 0 when the follower has applied the end", () => {
    const m = new LagMeter(10);
    m.sawEnd(10, 1_000);
    expect(m.lag(10, 5_000)).toEqual({ events: 0, seconds: 0, end: 10, applied: 10, endReadSeconds: 4 });
  });

  it("grows with the clock for a follower that stopped, from the first end it did not apply", () => {
    const m = new LagMeter(10);
    m.sawEnd(12, 1_000);
    m.sawEnd(20, 2_000);
    m.sawEnd(30, 3_000);
    expect(m.lag(10, 4_000)).toMatchObject({ events: 20, seconds: 3, end: 30, applied: 10 });
    expect(m.lag(10, 9_000).seconds).toBe(8);
    // Applied past the first two samples: the oldest unapplied end was seen at 3 s.
    expect(m.lag(25, 9_000)).toMatchObject({ events: 5, seconds: 6, end: 30, applied: 25 });
  });

  it("stays near 0 for a follower that keeps up with a moving end", () => {
    const m = new LagMeter(0);
    let worst = 0;
    for (let t = 1; t <= 100; t += 1) {
      m.sawEnd(t * 100, t * 1_000);
      worst = Math.max(worst, m.lag(t * 100 - 50, t * 1_000 + 500).seconds);
      m.lag(t * 100, t * 1_000 + 900);
    }
    expect(worst).toBeLessThanOrEqual(0.5);
  });

  it("counts what the follower has read past the last known end as the end", () => {
    expect(new LagMeter(5).lag(8, 0)).toEqual({ events: 0, seconds: 0, end: 8, applied: 8 });
  });

  it("says how long ago the end was last read: a follower that cannot read it cannot know it is current", () => {
    const m = new LagMeter(10);
    expect(m.lag(10, 1_000).endReadSeconds).toBeUndefined();
    m.sawEnd(10, 1_000);
    expect(m.lag(10, 1_000).endReadSeconds).toBe(0);
    // No reading succeeds for 12 s: nothing is known to be behind, yet the reading's age grows with the clock.
    expect(m.lag(10, 13_000)).toMatchObject({ events: 0, seconds: 0, endReadSeconds: 12 });
    m.sawEnd(10, 13_500);
    expect(m.lag(10, 14_000).endReadSeconds).toBe(0.5);
    // A follower started from a reading of the end counts its age from that reading.
    expect(new LagMeter(10, 1_000).lag(10, 4_000).endReadSeconds).toBe(3);
  });
});
