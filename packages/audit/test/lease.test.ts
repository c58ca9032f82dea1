/**
 * The sealers' writer lease on a real KV bucket, with each sealer's clock in the test's hands: one holder at a time; a
 * standby takes over only after the holder's revision stood still for the ttl by the standby's own clock; a renewing
 * holder is never replaced; a released lease is taken at the next beat; the old holder learns it lost.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { WriterLease } from "../src/index.js";
import { openSealerBucket } from "../src/internal.js";
import { signLease } from "../src/node/lease.js";
import { freshMesh } from "./helpers.js";

const nats = useTestServer();
let nc: NatsConnection;
/** The mesh the lease values name (the bucket is per mesh; the value says which too). */
const MESH = "lease-mesh";
/** The registry key every sealer of a mesh signs with. */
const key = generateKeyPair();
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterAll(async () => {
  await nc.close();
});

/** A host's clock: its own offset (no two hosts agree on the time), advanced by the test. */
function clock(offset = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = offset;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("the writer lease", () => {
  it("one holder; a standby takes over only after the ttl without renewal (its own clock); the old holder learns it lost", async () => {
    const kv = await openSealerBucket(nc, freshMesh("lease"));
    const ca = clock(1_000_000);
    const cb = clock(7_777_777_777);
    const a = new WriterLease({ kv, mesh: MESH, key, id: "a", ttlMs: 5_000, now: ca.now });
    const b = new WriterLease({ kv, mesh: MESH, key, id: "b", ttlMs: 5_000, now: cb.now });
    expect(await a.beat()).toBe(true);
    expect(await b.beat()).toBe(false);
    expect(b.holder).toBe("a");
    // The holder renews every beat: however long the standby waits in total, the revision keeps moving.
    for (let i = 0; i < 10; i++) {
      ca.advance(1_000);
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
    const a = new WriterLease({ kv, mesh: MESH, key, id: "a", ttlMs: 5_000 });
    const b = new WriterLease({ kv, mesh: MESH, key, id: "b", ttlMs: 5_000 });
    const c = new WriterLease({ kv, mesh: MESH, key, id: "c", ttlMs: 5_000 });
    expect(await a.beat()).toBe(true);
    await a.release();
    expect(a.held).toBe(false);
    const [bWon, cWon] = await Promise.all([b.beat(), c.beat()]);
    expect([bWon, cWon].filter(Boolean)).toHaveLength(1);
    expect(await (bWon ? c : b).beat()).toBe(false);
    expect(await (bWon ? b : c).beat()).toBe(true);
  });
});

/**
 * The lease among hostile holders of the service credentials (issue 13, review): anyone who may write the bucket writes
 * the lease key as often as they like: unsigned values, values signed by their own key, genuine values copied back
 * (a running sealer's, a gone sealer's), deletes. Whatever they write, the genuine sealers (who share the
 * registry key) are never all standing by for longer than the ttl, and a value not signed by the registry key never
 * makes a writer stand by.
 */
describe("the writer lease against forged values", () => {
  const forger = generateKeyPair();
  type Forgery = { kind: "unsigned" | "foreign" | "replay" | "ghost" | "delete"; id: string; pick: number };
  const forgery = fc.record({
    kind: fc.constantFrom<Forgery["kind"]>("unsigned", "foreign", "replay", "ghost", "delete"),
    id: fc.constantFrom("a", "b", "ghost"),
    pick: fc.nat(),
  });
  const round = fc.record({
    step: fc.integer({ min: 0, max: 1_000 }),
    before: fc.array(forgery, { maxLength: 2 }),
    order: fc.boolean(),
  });

  it("keeps a genuine writer within the ttl, whatever is written to the key", async () => {
    const ttlMs = 3_000;
    await fc.assert(
      fc.asyncProperty(fc.array(round, { minLength: 1, maxLength: 25 }), async (rounds) => {
        const kv = await openSealerBucket(nc, freshMesh("lease-forged"));
        const c = clock();
        const a = new WriterLease({ kv, mesh: MESH, key, id: "a", ttlMs, now: c.now });
        const b = new WriterLease({ kv, mesh: MESH, key, id: "b", ttlMs, now: c.now });
        // A sealer that ran before and is gone: the forger kept its last value.
        const genuine: string[] = [signLease(key, { mesh: MESH, id: "ghost", at: 5_000, prev: 1 })];
        let lastHeld = c.now();
        for (const r of rounds) {
          c.advance(r.step);
          for (const f of r.before) {
            const value =
              f.kind === "unsigned"
                ? JSON.stringify({
                    type: "plexus.sealer-lease",
                    mesh: MESH,
                    id: f.id,
                    at: c.now() + 1_000_000,
                    prev: 0,
                  })
                : f.kind === "foreign"
                  ? signLease(forger, { mesh: MESH, id: f.id, at: c.now() + 1_000_000, prev: 0 })
                  : f.kind === "ghost"
                    ? genuine[0]!
                    : genuine[f.pick % genuine.length]!;
            if (f.kind === "delete") await kv.delete("lease");
            else await kv.put("lease", value);
          }
          const [first, second] = r.order ? [a, b] : [b, a];
          const wasHeld = [first.held, second.held];
          await first.beat();
          await second.beat();
          const entry = await kv.get("lease");
          if (entry?.operation === "PUT") genuine.push(entry.string());
          // Values nobody trusts never leave the mesh without a writer (two writers converge to one; never to none).
          if (
            r.before.every((f) => f.kind === "unsigned" || f.kind === "foreign" || f.kind === "delete") &&
            wasHeld.some(Boolean)
          ) {
            expect(first.held || second.held).toBe(true);
          }
          if (a.held || b.held) lastHeld = c.now();
          expect(c.now() - lastHeld).toBeLessThanOrEqual(ttlMs + 1_000);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a gone sealer's renewals replayed in order, slower than they were written, go stale within about the ttl", async () => {
    const kv = await openSealerBucket(nc, freshMesh("lease-forged"));
    const c = clock();
    const a = new WriterLease({ kv, mesh: MESH, key, id: "a", ttlMs: 5_000, now: c.now });
    // Captured a second apart; replayed one every 2.5 s (each replay is a newer value than the last).
    const captured = Array.from({ length: 40 }, (_, i) =>
      signLease(key, { mesh: MESH, id: "ghost", at: 9_000 + i * 1_000, prev: i + 1 }),
    );
    let standing = 0;
    for (const value of captured) {
      await kv.put("lease", value);
      if (await a.beat()) break;
      standing += 2_500;
      c.advance(2_500);
    }
    expect(a.held).toBe(true);
    expect(a.forgery).toMatch(/ghost has not renewed the lease/);
    // Falling behind by 1.5 s a replay, the ghost is stale once 5 s behind: the fifth replay.
    expect(standing).toBeLessThanOrEqual((5_000 / 1.5) * 2_500 + 2_500);
  });

  it("says why it did not believe the key's value; a value by another trusted key (the registry key's successor) holds", async () => {
    const kv = await openSealerBucket(nc, freshMesh("lease-forged"));
    const a = new WriterLease({ kv, mesh: MESH, key, id: "a", ttlMs: 5_000 });
    await kv.put("lease", signLease(forger, { mesh: MESH, id: "z", at: Date.now(), prev: 0 }));
    expect(await a.beat()).toBe(true);
    expect(a.forgery).toMatch(/signed by did:key:.*not a trusted registry key/);
    await kv.put(
      "lease",
      JSON.stringify({ type: "plexus.sealer-lease", mesh: MESH, id: "z", at: Date.now(), prev: 0 }),
    );
    expect(await a.beat()).toBe(true);
    expect(a.forgery).toMatch(/not signed/);
    expect(await a.beat()).toBe(true);
    expect(a.forgery).toBeUndefined();

    const successor = generateKeyPair();
    const b = new WriterLease({ kv, mesh: MESH, key: successor, trusted: [key.did], id: "b", ttlMs: 5_000 });
    const c = new WriterLease({ kv, mesh: MESH, key, trusted: [successor.did], id: "c", ttlMs: 5_000 });
    await a.release();
    expect(await b.beat()).toBe(true);
    expect(await c.beat()).toBe(false);
    expect(c.holder).toBe("b");
  });
});
