/**
 * The sealers' writer lease on a real KV bucket, with each sealer's clock in the test's hands: one holder at a time; a
 * standby takes over only after the holder's revision stood still for the ttl by the standby's own clock; a renewing
 * holder is never replaced; a released lease is taken at the next beat; the old holder learns it lost.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { openSealerBucket, WriterLease } from "../src/index.js";
import { freshMesh } from "./helpers.js";

const nats = useTestServer();
let nc: NatsConnection;
/** The registry key every sealer of a mesh signs with. */
const key = generateKeyPair();
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterAll(async () => {
  await nc.close();
});

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("the writer lease", () => {
  it("one holder; a standby takes over only after the ttl without renewal (its own clock); the old holder learns it lost", async () => {
    const kv = await openSealerBucket(nc, freshMesh("lease"));
    const ca = clock();
    const cb = clock();
    const a = new WriterLease({ kv, key, id: "a", ttlMs: 5_000, now: ca.now });
    const b = new WriterLease({ kv, key, id: "b", ttlMs: 5_000, now: cb.now });
    expect(await a.beat()).toBe(true);
    expect(await b.beat()).toBe(false);
    expect(b.holder).toBe("a");
    // The holder renews every beat: however long the standby waits in total, the revision keeps moving.
    for (let i = 0; i < 10; i++) {
      cb.advance(1_000);
      expect(await a.beat()).toBe(true);
      expect(await b.beat()).toBe(false);
    }
    // The holder stops renewing: not before the ttl, then the standby takes it.
    cb.advance(4_999);
    expect(await b.beat()).toBe(false);
    cb.advance(1);
    expect(await b.beat()).toBe(true);
    expect(b.held).toBe(true);
    expect(await a.beat()).toBe(false);
    expect(a.held).toBe(false);
    expect(a.holder).toBe("b");
  });

  it("a released lease is taken at the next beat; of two standbys racing for it, one wins", async () => {
    const kv = await openSealerBucket(nc, freshMesh("lease"));
    const a = new WriterLease({ kv, key, id: "a", ttlMs: 5_000 });
    const b = new WriterLease({ kv, key, id: "b", ttlMs: 5_000 });
    const c = new WriterLease({ kv, key, id: "c", ttlMs: 5_000 });
    expect(await a.beat()).toBe(true);
    await a.release();
    expect(a.held).toBe(false);
    const [bWon, cWon] = await Promise.all([b.beat(), c.beat()]);
    expect([bWon, cWon].filter(Boolean)).toHaveLength(1);
    expect(await (bWon ? c : b).beat()).toBe(false);
    expect(await (bWon ? b : c).beat()).toBe(true);
  });
});
