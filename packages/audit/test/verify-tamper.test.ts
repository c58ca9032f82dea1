/**
 * Every kind of fault the verifier names, planted in real JetStream streams and found at its position with its kind,
 * three ways: live (the checkpoint fast path where it applies), live with every link compared (`full`), and from an
 * export of the tampered stores. One log of a real mesh, sealed by a real sealer, is rewritten by a privileged client
 * (streams deleted and recreated, as in issue 13) once per tampering; fast-check picks the tamperings and positions,
 * and each kind is also tried once at a fixed place.
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream, meshStreamConfig } from "@plexus/bus";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLink } from "../src/chain.js";
import { readExport } from "../src/export/reader.js";
import { signCheckpoint } from "../src/sealer/checkpoint.js";
import { startSealer } from "../src/sealer/sealer.js";
import { openJetStreamAuditStore, type JetStreamAuditStore } from "../src/store/jetstream-store.js";
import { readMeshLog } from "../src/store/mesh-log.js";
import type { ChainLink, Checkpoint, LogEvent } from "../src/types.js";
import { verifyChain, type VerifyReport } from "../src/verify/verifier.js";
import { exportStore, verifyStore } from "../src/verify/live.js";
import { collect, freshMesh, tempDir } from "./helpers.js";
import { publishEvents, publishRepeatingEvents } from "./sealing.js";
import { meshStream, writeMesh, writeStream, type Slot } from "./tamper.js";

const N = 32;
const nats = useTestServer();
let nc: NatsConnection;
let dir: { path: string; cleanup(): Promise<void> };
let exports = 0;

beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.cleanup();
  await nc?.close();
});

type Fault = { position: number; kind: string } | "ok";
const fault = (r: VerifyReport): Fault => (r.ok ? "ok" : { position: r.position, kind: r.kind });

/** A mesh with N events sealed by a real sealer, checkpoints of the head and every 5 links, as read back. */
interface Sealed {
  mesh: string;
  key: KeyPair;
  store: JetStreamAuditStore;
  events: LogEvent[];
  links: ChainLink[];
  checkpoints: Checkpoint[];
}

async function sealedMesh(
  publish: (mesh: string) => Promise<void> = (mesh) => publishEvents(nc, mesh, N),
): Promise<Sealed> {
  const mesh = freshMesh("t");
  await ensureMeshStream(nc, mesh);
  await publish(mesh);
  const key = generateKeyPair();
  const store = await openJetStreamAuditStore({ nc, mesh });
  const sealer = await startSealer({ nc, mesh, store, key, checkpointEvery: 5, checkpointIntervalMs: 60_000 });
  try {
    await sealer.caughtUp();
  } finally {
    await sealer.stop();
  }
  // The sealer signs per batch (here: the head); checkpoints every 5 links too, by the same key, give the
  // tamperings of the middle a checkpoint to contradict.
  for (const link of await collect(store.links(1)))
    if (link.n % 5 === 0)
      await store.appendCheckpoint(signCheckpoint(key, { size: link.n, head: link.hash, at: Date.now() }));
  return {
    mesh,
    key,
    store,
    events: await collect(readMeshLog(nc, mesh, 1)),
    links: await collect(store.links(1)),
    checkpoints: await collect(store.checkpoints()),
  };
}

/** The three verdicts on the stores as they are now: fast path, full comparison, export file. */
async function verdicts(s: Sealed, trustedSigners?: string[]): Promise<{ live: Fault; full: Fault; file: Fault }> {
  const trust = trustedSigners ? { trustedSigners } : {};
  const live = fault(await verifyStore({ nc, mesh: s.mesh, store: s.store, ...trust }));
  const full = fault(await verifyStore({ nc, mesh: s.mesh, store: s.store, full: true, ...trust }));
  const path = join(dir.path, `export-${++exports}.jsonl`);
  const out = createWriteStream(path);
  await exportStore({ nc, mesh: s.mesh, store: s.store, out });
  out.end();
  await finished(out);
  const file = fault(await verifyChain({ ...(await readExport(path)), ...trust }));
  return { live, full, file };
}

const slot = (e: LogEvent): Slot => ({ subject: e.subject, data: e.data });
const forgedData = (k: number) => new TextEncoder().encode(`{"forged":${k}}`);

/** One tampering: what the attacker writes, and the verdict it must get. */
type Tampering =
  | { t: "alter"; k: number }
  | { t: "deleteEvent"; k: number }
  | { t: "gapEvent"; k: number }
  | { t: "deleteLink"; k: number }
  | { t: "gapLink"; k: number }
  | { t: "insertEvent"; k: number }
  | { t: "insertLink"; k: number; m: number }
  | { t: "swapEvents"; k: number }
  | { t: "swapLinks"; k: number }
  | { t: "moveEvent"; k: number; d: number }
  | { t: "fork"; k: number }
  | { t: "truncate"; k: number }
  | { t: "rewrite"; k: number }
  | { t: "resign"; i: number };

interface Planted {
  events: Slot[];
  links: (ChainLink | null)[];
  checkpoints: Checkpoint[];
  trustedSigners?: string[];
  expected: { position: number; kind: string };
}

function move<T>(list: T[], from: number, to: number): T[] {
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item as T);
  return copy;
}

function plant(s: Sealed, x: Tampering): Planted {
  const events: Slot[] = s.events.map(slot);
  const links: (ChainLink | null)[] = [...s.links];
  const checkpoints = [...s.checkpoints];
  const same = { events, links, checkpoints };
  switch (x.t) {
    case "alter":
      events[x.k - 1] = { subject: s.events[x.k - 1]!.subject, data: forgedData(x.k) };
      return { ...same, expected: { position: x.k, kind: "altered" } };
    case "deleteEvent": // issue 13, finding 3: the log recreated without event k, later events renumbered
      return { ...same, events: events.filter((_, i) => i !== x.k - 1), expected: { position: x.k, kind: "missing" } };
    case "gapEvent":
      events[x.k - 1] = null;
      return { ...same, expected: { position: x.k, kind: "missing" } };
    case "deleteLink":
      return { ...same, links: links.filter((_, i) => i !== x.k - 1), expected: { position: x.k, kind: "missing" } };
    case "gapLink":
      // The last link deleted: the chain ends one short of the checkpoint of its head.
      links[x.k - 1] = null;
      return { ...same, expected: { position: x.k, kind: x.k === N ? "truncated" : "missing" } };
    case "insertEvent": {
      const forged: Slot = { subject: s.events[x.k - 1]!.subject, data: forgedData(-x.k) };
      return {
        ...same,
        events: [...events.slice(0, x.k - 1), forged, ...events.slice(x.k - 1)],
        expected: { position: x.k, kind: "inserted" },
      };
    }
    case "insertLink":
      return {
        ...same,
        links: [...links.slice(0, x.k - 1), s.links[x.m - 1]!, ...links.slice(x.k - 1)],
        expected: { position: x.k, kind: "inserted" },
      };
    case "swapEvents":
      return { ...same, events: move(events, x.k - 1, x.k), expected: { position: x.k, kind: "reordered" } };
    case "swapLinks":
      return { ...same, links: move(links, x.k - 1, x.k), expected: { position: x.k, kind: "reordered" } };
    case "moveEvent":
      return { ...same, events: move(events, x.k - 1, x.k - 1 + x.d), expected: { position: x.k, kind: "reordered" } };
    case "fork":
      links[x.k - 1] = { ...s.links[x.k - 1]!, hash: "ab".repeat(32) };
      return { ...same, expected: { position: x.k, kind: "forked" } };
    case "truncate":
      return { ...same, links: links.slice(0, x.k - 1), expected: { position: x.k, kind: "truncated" } };
    case "rewrite": {
      // A consistent rewrite: event k altered, the chain sealed again from k, the signed checkpoints left alone.
      events[x.k - 1] = { subject: s.events[x.k - 1]!.subject, data: forgedData(x.k) };
      let prev = x.k > 1 ? s.links[x.k - 2]!.hash : "0".repeat(64);
      for (let n = x.k; n <= N; n++) {
        const e = events[n - 1]!;
        const link = makeLink(prev, { n, subject: e.subject, data: e.data, storedAt: s.events[n - 1]!.storedAt });
        links[n - 1] = link;
        prev = link.hash;
      }
      const at = Math.min(...checkpoints.filter((cp) => cp.size >= x.k).map((cp) => cp.size));
      return { ...same, expected: { position: at, kind: "checkpoint_mismatch" } };
    }
    case "resign": {
      const cp = checkpoints[x.i]!;
      checkpoints[x.i] = signCheckpoint(generateKeyPair(), { size: cp.size, head: cp.head, at: cp.at });
      return { ...same, trustedSigners: [s.key.did], expected: { position: cp.size, kind: "checkpoint_signature" } };
    }
  }
}

const position = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const tamperings: fc.Arbitrary<Tampering> = fc.oneof(
  position(1, N).map((k) => ({ t: "alter", k }) as const),
  position(1, N).map((k) => ({ t: "deleteEvent", k }) as const),
  position(1, N).map((k) => ({ t: "gapEvent", k }) as const),
  position(1, N - 1).map((k) => ({ t: "deleteLink", k }) as const),
  position(1, N).map((k) => ({ t: "gapLink", k }) as const),
  // Not before the last sealed event: an export stops at the last link, so the event pushed past it is not in the
  // file, which then reads as altered (live: inserted).
  position(1, N - 1).map((k) => ({ t: "insertEvent", k }) as const),
  position(2, N).chain((k) => position(1, k - 1).map((m) => ({ t: "insertLink", k, m }) as const)),
  position(1, N - 1).map((k) => ({ t: "swapEvents", k }) as const),
  position(1, N - 1).map((k) => ({ t: "swapLinks", k }) as const),
  position(1, N - 2).chain((k) => position(2, Math.min(8, N - k)).map((d) => ({ t: "moveEvent", k, d }) as const)),
  position(1, N).map((k) => ({ t: "fork", k }) as const),
  position(1, N).map((k) => ({ t: "truncate", k }) as const),
  position(1, N).map((k) => ({ t: "rewrite", k }) as const),
  fc.nat({ max: 5 }).map((i) => ({ t: "resign", i }) as const),
);

/**
 * The tamperings whose verdict does not depend on which events repeat: with every event repeating 5 places on, an
 * event moved by a multiple of 5, or two equal events swapped, leaves the log's hashes as they were.
 */
const repeatTamperings: fc.Arbitrary<Tampering> = tamperings.filter((x) => !(x.t === "moveEvent" && x.d % 5 === 0));

/** Property: each tampering drawn (and each example) planted in `s`'s streams gets its expected verdict, three ways. */
async function eachNamed(
  s: Sealed,
  drawn: fc.Arbitrary<Tampering>,
  numRuns: number,
  fixed: Tampering[],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(drawn, async (x) => {
      const p = plant(s, x);
      await writeMesh(nc, s.mesh, p);
      const got = await verdicts(s, p.trustedSigners);
      expect(got, JSON.stringify(x)).toEqual({ live: p.expected, full: p.expected, file: p.expected });
    }),
    { numRuns, examples: fixed.map((x) => [x]), endOnFailure: true },
  );
}

/** Each kind once at a fixed place (the first and last positions among them), whatever fast-check draws. */
const examples: Tampering[] = [
  { t: "alter", k: 1 },
  { t: "deleteEvent", k: 17 },
  { t: "deleteEvent", k: N },
  { t: "gapEvent", k: 1 },
  { t: "gapEvent", k: N },
  { t: "gapLink", k: N },
  { t: "deleteLink", k: 1 },
  { t: "gapLink", k: 9 },
  { t: "insertEvent", k: 12 },
  { t: "insertLink", k: N, m: 3 },
  { t: "swapEvents", k: N - 1 },
  { t: "swapLinks", k: 4 },
  { t: "moveEvent", k: 6, d: 5 },
  { t: "fork", k: N },
  { t: "truncate", k: 1 },
  { t: "rewrite", k: 7 },
  { t: "resign", i: 2 },
];

describe("every fault kind on live stores and export files", { timeout: 180_000 }, () => {
  it("issue 13, finding 3: the log deleted and recreated without one event is `missing` at that position, not `reordered`", async () => {
    const s = await sealedMesh();
    expect(await verdicts(s, [s.key.did])).toEqual({ live: "ok", full: "ok", file: "ok" });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(meshStream(s.mesh))).config.deny_delete).toBe(true);
    await writeStream(nc, meshStreamConfig(s.mesh), s.events.filter((e) => e.n !== 20).map(slot));
    const expected = { position: 20, kind: "missing" };
    expect(await verdicts(s, [s.key.did])).toEqual({ live: expected, full: expected, file: expected });
    const r = await verifyStore({ nc, mesh: s.mesh, store: s.store });
    expect(r.ok || r.detail).toMatch(/event sealed at 20 is gone from the log/);
  });

  it("random tamperings of a sealed log are each named at their position with their kind, live and from an export", async () => {
    const s = await sealedMesh();
    expect(s.checkpoints.map((cp) => cp.size).sort((a, b) => a - b)).toEqual([5, 10, 15, 20, 25, 30, 32]);
    await eachNamed(s, tamperings, 100, examples);
    // Written back untouched, the same streams verify: the faults came from the tamperings alone.
    await writeMesh(nc, s.mesh, { events: s.events.map(slot), links: s.links, checkpoints: s.checkpoints });
    expect(await verdicts(s, [s.key.did])).toEqual({ live: "ok", full: "ok", file: "ok" });
  });

  it("duplicate payloads: a deleted event is `missing` even when a later event has the same subject and payload", async () => {
    // Event i repeats event i mod 4: the event deleted at k has a twin 4 places later (3 once the log is renumbered),
    // which must not read as the deleted one moved there.
    const s = await sealedMesh((mesh) => publishRepeatingEvents(nc, mesh, N, 4));
    expect(new Set(s.links.map((l) => l.event)).size).toBe(4);
    for (const k of [1, 9, 20, N - 4, N - 1]) {
      const p = plant(s, { t: "deleteEvent", k });
      await writeMesh(nc, s.mesh, p);
      expect(await verdicts(s), `deleteEvent ${k}`).toEqual({ live: p.expected, full: p.expected, file: p.expected });
    }
  });

  it("duplicate payloads: random tamperings of a log whose events repeat are named as in a log without repeats", async () => {
    const s = await sealedMesh((mesh) => publishRepeatingEvents(nc, mesh, N, 5));
    await eachNamed(s, repeatTamperings, 60, [
      { t: "deleteEvent", k: 3 },
      { t: "deleteEvent", k: 17 },
      { t: "moveEvent", k: 6, d: 5 },
    ]);
  });
});
