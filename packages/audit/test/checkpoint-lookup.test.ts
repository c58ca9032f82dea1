/**
 * store/checkpoint-lookup.ts: the newest checkpoint, the oldest of size ≥ N and one of size N, found by a binary search
 * over the checkpoints' sequence numbers, against a definition computed here from the genuine checkpoints alone.
 * Properties (fast-check) over an in-memory indexed store: random non-decreasing sizes with duplicates, checkpoints by
 * another key, with a broken signature, or not JSON inserted anywhere (the search steps over them without scanning),
 * and an older genuine checkpoint stored again later (found, or met and answered by the scan). Then the same on a real
 * JetStream checkpoints stream, a flood of forged messages (scan), and prove / a sealer's restart next to forgeries.
 */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkProof } from "../src/proof/check.js";
import { proveInclusion } from "../src/proof/create.js";
import { signCheckpoint } from "../src/sealer/checkpoint.js";
import { startSealer } from "../src/sealer/sealer.js";
import { TreeKeeper } from "../src/sealer/tree-keeper.js";
import { checkpointLookup, type CheckpointIndex, type CheckpointLookup } from "../src/store/checkpoint-lookup.js";
import { decodeCheckpoint } from "../src/store/codec.js";
import { openJetStreamAuditStore } from "../src/store/jetstream-store.js";
import type { AuditStore, Checkpoint } from "../src/types.js";
import { collect, freshMesh } from "./helpers.js";
import { publishEvents } from "./sealing.js";

const key = generateKeyPair();
const other = generateKeyPair();
const MAX_SIZE = 60;

function signed(by: KeyPair, size: number, at: number): Checkpoint {
  return signCheckpoint(
    by,
    { size, head: "ab".repeat(32), at },
    { origin: "plexus.mesh/lookup", root: new Uint8Array(32).fill(size % 251) },
  );
}

/** Two genuine checkpoints per size (two sealers signing the same head), made once: signing is the slow part. */
const genuine = Array.from({ length: MAX_SIZE + 1 }, (_, size) => [
  signed(key, size, 1_000 + size),
  signed(key, size, 2_000 + size),
]);
const forgeries: Checkpoint[] = [
  ...Array.from({ length: 8 }, (_, i) => signed(other, i * 9, 5)), // another key
  ...Array.from({ length: 8 }, (_, i) => ({ ...genuine[i * 7]![0]!, size: i * 7 + 1 })), // a size the signature does not cover
  decodeCheckpoint(new TextEncoder().encode("not a checkpoint")),
  { ...genuine[5]![0]!, root: "00".repeat(32) }, // a root its note does not sign
];

/** Checkpoints in a list, read by position (1-based) as the JetStream store reads them by stream sequence. */
function memoryStore(list: readonly Checkpoint[]): AuditStore & CheckpointIndex {
  return {
    backend: "memory",
    head: async () => ({ size: 0, hash: "" }),
    append: async () => ({ ok: false, conflict: true, size: 0 }),
    links: async function* () {},
    link: async () => undefined,
    appendCheckpoint: async () => {},
    checkpoints: async function* () {
      yield* list;
    },
    lastCheckpoint: async () => (list.length ? { seq: list.length, checkpoint: list[list.length - 1]! } : undefined),
    checkpointAt: async (seq) => list[seq - 1],
    close: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}

/** What each lookup must answer, from the genuine checkpoints in stored order. */
function expected(trusted: readonly Checkpoint[]) {
  return {
    newest: trusted.reduce<Checkpoint | undefined>(
      (best, cp) => (!best || cp.size >= best.size ? cp : best),
      undefined,
    ),
    oldestAtLeast: (n: number) => trusted.find((cp) => cp.size >= n),
    hasSize: (n: number) => trusted.some((cp) => cp.size === n),
  };
}

async function checkAll(lookup: CheckpointLookup, trusted: readonly Checkpoint[]): Promise<void> {
  const want = expected(trusted);
  expect(await lookup.newest()).toEqual(want.newest);
  for (let n = 0; n <= MAX_SIZE + 1; n++) {
    expect(await lookup.oldestAtLeast(n)).toEqual(want.oldestAtLeast(n));
    const at = await lookup.atSize(n);
    expect(at !== undefined).toBe(want.hasSize(n));
    if (at) expect(trusted).toContainEqual(at);
  }
}

/** Sorted sizes, each a genuine checkpoint (either of the two signed for that size). */
const genuineRun = fc
  .array(fc.tuple(fc.integer({ min: 0, max: MAX_SIZE }), fc.integer({ min: 0, max: 1 })), {
    minLength: 0,
    maxLength: 40,
  })
  .map((picks) => picks.sort((a, b) => a[0] - b[0]).map(([size, which]) => genuine[size]![which]!));

/** `items` inserted into `list` at the given relative places. */
function insertAll(list: Checkpoint[], items: readonly { at: number; cp: Checkpoint }[]): Checkpoint[] {
  const out = list.slice();
  for (const { at, cp } of items) out.splice(Math.floor(at * (out.length + 1)), 0, cp);
  return out;
}

describe("checkpoint lookup by binary search (in memory)", () => {
  it("answers as the definition over the genuine checkpoints, stepping over forged ones without a scan", async () => {
    const forged = fc.array(
      fc.record({ at: fc.double({ min: 0, max: 0.999, noNaN: true }), cp: fc.constantFrom(...forgeries) }),
      { maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(genuineRun, forged, async (trusted, junk) => {
        const lookup = checkpointLookup(memoryStore(insertAll(trusted, junk)), { trusted: [key.did], rooted: true });
        await checkAll(lookup, trusted);
        expect(lookup.stats.scans).toBe(0);
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it("an older genuine checkpoint stored again later is found or met: the answer is still the definition's", async () => {
    await fc.assert(
      fc.asyncProperty(
        genuineRun.filter((l) => l.length >= 2),
        fc.nat(),
        fc.nat(),
        async (trusted, pick, where) => {
          const i = pick % (trusted.length - 1);
          const j = i + 1 + (where % (trusted.length - i)); // after the original
          const stored = [...trusted.slice(0, j), trusted[i]!, ...trusted.slice(j)];
          const lookup = checkpointLookup(memoryStore(stored), { trusted: [key.did], rooted: true });
          await checkAll(lookup, stored);
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);

  it("without trusted signers, any checkpoint whose signatures verify counts; a store without an index scans", async () => {
    const stored = [genuine[3]![0]!, forgeries[0]!, genuine[9]![1]!, signed(other, 12, 7), forgeries[10]!];
    const trusted = [stored[0]!, stored[1]!, stored[2]!, stored[3]!];
    await checkAll(checkpointLookup(memoryStore(stored), { rooted: true }), trusted);
    const plain = memoryStore(stored) as Partial<CheckpointIndex> & AuditStore;
    delete plain.lastCheckpoint;
    delete plain.checkpointAt;
    const scanning = checkpointLookup(plain, { trusted: [key.did], rooted: true });
    await checkAll(scanning, [stored[0]!, stored[2]!]);
    expect(scanning.stats.reads).toBe(0);
  });

  it("a flood of forged checkpoints after the newest costs a scan, not a wrong answer", async () => {
    const trusted = [genuine[1]![0]!, genuine[4]![0]!, genuine[8]![0]!];
    const reasons: string[] = [];
    const lookup = checkpointLookup(
      memoryStore([...trusted, ...Array.from({ length: 300 }, (_, i) => signed(other, 50 + (i % 9), i))]),
      { trusted: [key.did], rooted: true },
      { onFallback: (r) => reasons.push(r) },
    );
    expect(await lookup.newest()).toEqual(trusted[2]);
    expect(lookup.stats.scans).toBe(1);
    expect(reasons[0]).toMatch(/more than \d+ checkpoint messages read/);
  });

  it("a replay at the end of the stream makes newest scan and answer the largest", async () => {
    const trusted = [genuine[1]![0]!, genuine[4]![0]!, genuine[8]![0]!, genuine[4]![0]!];
    const lookup = checkpointLookup(memoryStore(trusted), { trusted: [key.did], rooted: true });
    expect(await lookup.newest()).toEqual(genuine[8]![0]);
    expect(lookup.stats.reasons).toEqual([expect.stringMatching(/follows a larger one/)]);
  });
});

const nats = useTestServer();
let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
});

describe("checkpoint lookup on a JetStream checkpoints stream", () => {
  it("reads a few messages of the stream and steps over forged ones", async () => {
    const mesh = freshMesh("lookup");
    const store = await openJetStreamAuditStore({ nc, mesh });
    const js = jetstream(nc);
    const trusted: Checkpoint[] = [];
    for (let size = 0; size <= MAX_SIZE; size += 2) {
      await store.appendCheckpoint(genuine[size]![0]!);
      trusted.push(genuine[size]![0]!);
      if (size % 10 === 0)
        await js.publish(store.names.checkpointSubject, JSON.stringify(signed(other, size + 100, 1)));
      if (size % 14 === 0) await js.publish(store.names.checkpointSubject, "not json");
    }
    const lookup = checkpointLookup(store, { trusted: [key.did], rooted: true });
    await checkAll(lookup, trusted);
    expect(lookup.stats.scans).toBe(0);
    const one = checkpointLookup(store, { trusted: [key.did], rooted: true });
    expect(await one.oldestAtLeast(31)).toEqual(genuine[32]![0]);
    expect(one.stats.reads).toBeLessThan(20); // of 41 messages
    // An old genuine checkpoint published again: newest is met with it and scans.
    await js.publish(store.names.checkpointSubject, JSON.stringify(genuine[10]![0]));
    const after = checkpointLookup(store, { trusted: [key.did], rooted: true });
    expect(await after.newest()).toEqual(genuine[MAX_SIZE]![0]);
    expect(after.stats.scans).toBe(1);
    await store.close();
  });

  it("prove and a sealer's restart find the genuine checkpoints next to forged and replayed ones", async () => {
    const mesh = freshMesh("lookupseal");
    await ensureMeshStream(nc, mesh);
    const store = await openJetStreamAuditStore({ nc, mesh });
    await publishEvents(nc, mesh, 300);
    const sealer = await startSealer({ nc, mesh, store, key, checkpointEvery: 50, checkpointIntervalMs: 60_000 });
    await sealer.caughtUp();
    await sealer.stop(); // signs the head, 300
    const cps = await collect(store.checkpoints());
    const js = jetstream(nc);
    // Someone with the service credentials: a checkpoint of another key claiming more, and an old genuine one again.
    await js.publish(
      store.names.checkpointSubject,
      JSON.stringify(
        signCheckpoint(
          other,
          { size: 1_000, head: "00".repeat(32), at: Date.now() },
          { origin: `plexus.mesh/${mesh}`, root: new Uint8Array(32) },
        ),
      ),
    );
    await js.publish(store.names.checkpointSubject, JSON.stringify(cps[0]));
    const proof = await proveInclusion({ nc, mesh, store, position: 300, signers: [key.did] });
    expect(proof.size).toBe(300);
    expect(checkProof(proof, { signers: [key.did] })).toMatchObject({ ok: true, size: 300 });
    const fresh = await openJetStreamAuditStore({ nc, mesh });
    expect((await TreeKeeper.open(nc, mesh, fresh, 300, key.did)).resumedBy).toBe("tiles");
    await fresh.close();
    await store.close();
  });
});
