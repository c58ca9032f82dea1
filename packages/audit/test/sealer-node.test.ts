/**
 * The sealer as a process of its own (issue 13, findings 2 and 4), against a real nats-server in operator mode: the
 * sealers hold the mesh's service creds (so the sealers bucket and the lease are within what the service user may do),
 * the test plays the operator with the admin creds.
 * - The mesh log deleted and recreated with identical content under a running sealer: the sealer says so at error,
 *   its status and `auditStatus` show it stalled with the reason within 5 s, and nothing more is sealed.
 * - The audit chain's settings weakened under a running sealer: the same, HISTORY_STREAM_WEAKENED.
 * - One writes, the other stands by; the writer stopping hands over, and the chain stays whole.
 * - Stuck (nothing sealed while events wait) and recovered, with a store whose appends are held back.
 * - Cannot keep up (the lag over a threshold and not coming down), with a store slower than the mesh.
 * - The keep-up rule itself (stuck, behind) on samples.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { ErrorCode, meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import {
  auditStatus,
  ensureAuditStreams,
  openJetStreamAuditStore,
  readSealerPresence,
  startSealerNode,
  type AuditStore,
  type SealerNode,
} from "../src/index.js";
import { auditStreamNames } from "../src/internal.js";
import { KeepUpJudge } from "../src/sealer/keep-up.js";
import { freshMesh } from "./helpers.js";
import { chainProblems, delayedStore, publishEvents } from "./sealing.js";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function conn(kind: "service" | "admin", mesh: string): Promise<NatsConnection> {
  const nc = kind === "admin" ? await nats.server.auth.connectAdmin(mesh) : await nats.server.auth.connectService(mesh);
  closers.push(() => nc.close());
  return nc;
}

type Line = { level: "info" | "error"; line: string };
/** Every sealer of a mesh signs with the registry's key. */
const registryKey = generateKeyPair();

async function node(
  mesh: string,
  id: string,
  extra: { store?: AuditStore; keepUp?: { stuckMs: number }; takeoverAfterMs?: number } = {},
): Promise<{ node: SealerNode; lines: Line[] }> {
  const nc = await conn("service", mesh);
  const lines: Line[] = [];
  const n = await startSealerNode({
    nc,
    mesh,
    key: registryKey,
    id,
    leaseTtlMs: 2_000,
    log: (level, line) => lines.push({ level, line }),
    ...(extra.store ? { store: extra.store } : {}),
    ...(extra.keepUp ? { sealer: { keepUp: extra.keepUp } } : {}),
    ...(extra.takeoverAfterMs !== undefined ? { takeoverAfterMs: extra.takeoverAfterMs } : {}),
  });
  closers.push(() => n.stop());
  return { node: n, lines };
}

async function provision(mesh: string): Promise<NatsConnection> {
  const admin = await conn("admin", mesh);
  await ensureMeshStream(admin, mesh);
  await ensureAuditStreams(admin, mesh);
  return admin;
}

/** `count` events one after the other (so a second run publishes the same events in the same order). */
async function publishInOrder(nc: NatsConnection, mesh: string, from: number, count: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = from; i < from + count; i++)
    await js.publish(`plexus.${mesh}.acp.topic.load.t${i % 3}`, new TextEncoder().encode(`{"i":${i}}`));
}

describe("a sealer node", { timeout: 60_000 }, () => {
  it("sees the mesh log recreated under it (identical content): stalled with the reason in auditStatus within 5 s, logged at error, seals nothing more", async () => {
    const mesh = freshMesh("sn");
    const admin = await provision(mesh);
    await publishInOrder(admin, mesh, 0, 10);
    const { node: sealer, lines } = await node(mesh, "one");
    await expect.poll(() => sealer.status().head.size, { timeout: 10_000 }).toBe(10);
    expect(sealer.status()).toMatchObject({ role: "active", state: "running", ready: true });

    const jsm = await jetstreamManager(admin);
    const stream = meshSubjects(mesh).stream;
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.delete(stream);
    await jsm.streams.add(config);
    await publishInOrder(admin, mesh, 0, 10);
    await publishInOrder(admin, mesh, 10, 20);

    const reader = await conn("service", mesh);
    const store = await openJetStreamAuditStore({ nc: reader, mesh });
    closers.push(() => store.close());
    // Within 5 s of the last publish (the bound); how fast it really is, is measured, not asserted (~2 s here).
    await expect
      .poll(async () => (await auditStatus({ nc: reader, mesh, store })).stalled, { timeout: 5_000, interval: 200 })
      .toBe(true);
    const status = await auditStatus({ nc: reader, mesh, store });
    expect(status.stalledReasons.join("\n")).toMatch(/HISTORY_STREAM_(RECREATED|MISSING)/);
    expect(status.sealers[0]).toMatchObject({
      id: "one",
      role: "active",
      state: "refused",
      live: true,
      valid: true,
      problem: { code: expect.stringMatching(/^HISTORY_STREAM_(RECREATED|MISSING)$/) },
    });
    expect(sealer.status()).toMatchObject({ state: "refused", ready: false });
    expect(
      lines
        .filter((l) => l.level === "error")
        .map((l) => l.line)
        .join("\n"),
    ).toMatch(/history stream .* refused/);
    // Nothing sealed over the replaced log, and the lag says what waits.
    expect(status.head.size).toBe(10);
    expect(status.lag).toBe(20);
    // The refused sealer keeps the writer lease and keeps saying why: a standby that sees the chain stand still does
    // not take over (it would seal over the replaced log), and is not ready either, naming the writer's refusal.
    const { node: standby, lines: standbyLines } = await node(mesh, "two", { takeoverAfterMs: 1_000 });
    await expect.poll(() => standby.status().ready, { timeout: 6_000 }).toBe(false);
    expect(standby.status()).toMatchObject({
      role: "standby",
      writer: "one",
      problem: {
        reason: expect.stringMatching(/^one holds the writer lease and reports refused: .*not sealing over it/),
      },
    });
    expect(standbyLines.some((l) => l.level === "error" && l.line.includes("reports refused"))).toBe(true);
    expect((await store.head()).size).toBe(10);
    expect((await readSealerPresence(reader, mesh)).find((x) => x.id === "one")).toMatchObject({
      state: "refused",
      live: true,
    });
  });

  it("sees the audit chain's settings weakened under it (max_age set): refused, HISTORY_STREAM_WEAKENED with the setting in auditStatus within 5 s", async () => {
    const mesh = freshMesh("sn");
    const admin = await provision(mesh);
    await publishInOrder(admin, mesh, 0, 5);
    const { node: sealer, lines } = await node(mesh, "w");
    await expect.poll(() => sealer.status().head.size, { timeout: 10_000 }).toBe(5);
    const jsm = await jetstreamManager(admin);
    const chain = auditStreamNames(mesh).chainStream;
    const { config } = await jsm.streams.info(chain);
    await jsm.streams.update(chain, { ...config, max_age: 3_600_000_000_000 });
    const reader = await conn("service", mesh);
    const store = await openJetStreamAuditStore({ nc: reader, mesh });
    closers.push(() => store.close());
    await expect
      .poll(async () => (await auditStatus({ nc: reader, mesh, store })).stalled, { timeout: 5_000, interval: 200 })
      .toBe(true);
    expect((await auditStatus({ nc: reader, mesh, store })).sealers[0]).toMatchObject({
      id: "w",
      state: "refused",
      problem: { code: ErrorCode.HistoryStreamWeakened, reason: "max_age is 3600s" },
    });
    expect(lines.some((l) => l.level === "error" && l.line.includes("HISTORY_STREAM_WEAKENED"))).toBe(true);
  });

  it("two on one mesh: one writes, the other stands by; the writer stopping hands over, the chain stays whole", async () => {
    const mesh = freshMesh("sn");
    const admin = await provision(mesh);
    const a = await node(mesh, "a");
    const b = await node(mesh, "b");
    expect([a.node.status().role, b.node.status().role].sort()).toEqual(["active", "standby"]);
    const [writer, standby] = a.node.status().role === "active" ? [a.node, b.node] : [b.node, a.node];
    await publishEvents(admin, mesh, 300);
    await expect.poll(() => writer.status().head.size, { timeout: 10_000 }).toBe(300);
    expect(standby.sealer()).toBeUndefined();
    const sightings = await readSealerPresence(admin, mesh);
    expect(sightings.map((s) => `${s.id}:${s.role}`).sort()).toEqual(
      [`${writer.id}:active`, `${standby.id}:standby`].sort(),
    );

    await writer.stop();
    await publishEvents(admin, mesh, 200);
    await expect.poll(() => standby.status().head.size, { timeout: 10_000 }).toBe(500);
    expect(standby.status()).toMatchObject({ role: "active", state: "running" });
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    expect(await chainProblems(admin, mesh, store)).toEqual([]);
  });

  it("stuck (appends held back while events wait): stalled with the reason, then running again once they land", async () => {
    const mesh = freshMesh("sn");
    const admin = await provision(mesh);
    const nc = await conn("service", mesh);
    const real = await openJetStreamAuditStore({ nc, mesh });
    closers.push(() => real.close());
    // The real store, with a gate in front of its appends (a disk or a server that stopped answering).
    let release!: () => void;
    let gate: Promise<void> | undefined;
    const held = delayedStore(real, () => gate);
    const { node: sealer, lines } = await node(mesh, "stuck", { store: held, keepUp: { stuckMs: 1_500 } });
    await publishEvents(admin, mesh, 5);
    await expect.poll(() => sealer.status().head.size, { timeout: 10_000 }).toBe(5);
    gate = new Promise<void>((r) => (release = r));
    await publishEvents(admin, mesh, 5);
    await expect.poll(() => sealer.status().state, { timeout: 6_000 }).toBe("stalled");
    expect(sealer.status()).toMatchObject({
      ready: false,
      problem: { code: ErrorCode.AuditSealerStalled, reason: expect.stringMatching(/^no progress: 5 events wait/) },
    });
    expect(lines.some((l) => l.level === "error" && l.line.includes("AUDIT_SEALER_STALLED"))).toBe(true);
    await expect
      .poll(async () => (await readSealerPresence(admin, mesh))[0]?.state, { timeout: 3_000 })
      .toBe("stalled");
    release();
    gate = undefined;
    await expect.poll(() => sealer.status().state, { timeout: 6_000 }).toBe("running");
    expect(sealer.status().head.size).toBe(10);
    expect(lines.some((l) => l.line.includes("seals normally again"))).toBe(true);
  });
});

describe("a sealer that cannot keep up", { timeout: 60_000 }, () => {
  it("slower than the mesh (one append at a time, each 20 ms): behind, with the lag in the reason, while its head still moves", async () => {
    const mesh = freshMesh("sn");
    const admin = await provision(mesh);
    const nc = await conn("service", mesh);
    const real = await openJetStreamAuditStore({ nc, mesh });
    closers.push(() => real.close());
    const slow = delayedStore(real, () => new Promise((r) => setTimeout(r, 20)));
    const lines: Line[] = [];
    const sealer = await startSealerNode({
      nc,
      mesh,
      key: generateKeyPair(),
      id: "slow",
      store: slow,
      log: (level, line) => lines.push({ level, line }),
      sealer: { pipeline: 1, keepUp: { maxLag: 200, behindMs: 1_500, stuckMs: 60_000 } },
    });
    closers.push(() => sealer.stop());
    // About 1,000 events/s against at most 50 links/s.
    const flood = (async () => {
      for (let i = 0; i < 8 && sealer.status().state !== "stalled"; i++) {
        await publishEvents(admin, mesh, 1_000);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    await expect.poll(() => sealer.status().state, { timeout: 15_000, interval: 100 }).toBe("stalled");
    await flood;
    const s = sealer.status();
    expect(s.problem).toMatchObject({
      code: ErrorCode.AuditSealerStalled,
      reason: expect.stringMatching(/^cannot keep up: \d+ events behind the mesh log \(at least 200\)/),
    });
    expect(s.head.size).toBeGreaterThan(0);
    expect(lines.some((l) => l.level === "error" && l.line.includes("cannot keep up"))).toBe(true);
    const [record] = await readSealerPresence(admin, mesh);
    expect(record).toMatchObject({
      id: "slow",
      state: "stalled",
      problem: { reason: expect.stringMatching(/^cannot keep up/) },
    });
  });
});

describe("the keep-up rule", () => {
  it("stuck: events wait and the head stays put for stuckMs; cleared once the head keeps moving for stuckMs/2, or nothing waits", () => {
    const j = new KeepUpJudge({ stuckMs: 10_000 });
    expect(j.sample(0, 5, 5)).toBeUndefined();
    expect(j.sample(1_000, 5, 9)).toBeUndefined();
    expect(j.sample(10_999, 5, 9)).toBeUndefined();
    expect(j.sample(11_000, 5, 9)).toMatchObject({ kind: "stuck", lag: 4 });
    // One move is not recovery; moving every second for 5 s is.
    expect(j.sample(12_000, 6, 20)).toMatchObject({
      kind: "stuck",
      reason: expect.stringMatching(/^no steady progress/),
    });
    for (let t = 13_000, head = 7; t < 17_000; t += 1_000, head++)
      expect(j.sample(t, head, 20)).toMatchObject({ kind: "stuck" });
    expect(j.sample(17_000, 11, 20)).toBeUndefined();
    // Nothing waiting is never stuck, however long the head stays; and it clears a stall at once.
    expect(j.sample(60_000, 20, 20)).toBeUndefined();
    const k = new KeepUpJudge({ stuckMs: 10_000 });
    k.sample(0, 5, 9);
    expect(k.sample(10_000, 5, 9)).toMatchObject({ kind: "stuck" });
    expect(k.sample(11_000, 9, 9)).toBeUndefined();
  });

  it("stuck does not flap: a head that moves once every 11 s (stuckMs 10 s) stays stuck", () => {
    fc.assert(
      fc.property(fc.integer({ min: 6_000, max: 30_000 }), fc.integer({ min: 20, max: 60 }), (every, samples) => {
        const j = new KeepUpJudge({ stuckMs: 10_000 });
        let head = 0;
        const verdicts: boolean[] = [];
        for (let t = 0; t <= samples * 1_000; t += 1_000) {
          if (t > 0 && t % every < 1_000) head++;
          verdicts.push(j.sample(t, head, head + 100)?.kind === "stuck");
        }
        // Once stuck, never cleared: the head never moved for 5 s running.
        const first = verdicts.indexOf(true);
        if (every > 10_000) expect(first).toBeGreaterThan(-1);
        if (first >= 0) expect(verdicts.slice(first).every(Boolean)).toBe(true);
      }),
    );
  });

  it("behind: a lag at or over maxLag that does not come down for behindMs; a falling lag restarts the window", () => {
    const j = new KeepUpJudge({ maxLag: 1_000, behindMs: 30_000, stuckMs: 1e9 });
    let head = 0;
    expect(j.sample(0, head, 1_500)).toBeUndefined();
    // The head moves, but the log grows faster: the lag grows.
    for (let t = 1_000; t < 30_000; t += 1_000)
      expect(j.sample(t, (head += 100), head + 1_500 + t / 100)).toBeUndefined();
    expect(j.sample(30_000, (head += 100), head + 1_900)).toMatchObject({
      kind: "behind",
      reason: expect.stringMatching(/^cannot keep up: 1900 events behind/),
    });
    // Catching up: under maxLag, cleared.
    expect(j.sample(31_000, head + 1_500, head + 1_900)).toBeUndefined();
    // Over maxLag again but coming down: the window restarts at each lower lag, so it is not behind.
    const k = new KeepUpJudge({ maxLag: 1_000, behindMs: 5_000, stuckMs: 1e9 });
    for (let t = 0, lag = 5_000; t <= 20_000; t += 1_000, lag -= 100) expect(k.sample(t, t, t + lag)).toBeUndefined();
  });
});
