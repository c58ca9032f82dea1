/**
 * Sealers against hostile holders of the mesh's service credentials: the attacks an adversarial review of issue 13
 * found, each kept as a test of the property it broke. The attacker has nothing but the service creds (no registry
 * key). Real nats-server, operator mode.
 *
 * - R1: a dead writer's captured lease history replayed at its own pace, plus correct chain links appended by the
 *   attacker for every new event (anyone can compute them): the head moves, but the tail goes unsigned, and the
 *   standby takes over (writer-watch judges the signatures too).
 * - R2: a genuine old checkpoint republished once: status does not call a healthy, fully signed mesh STALLED (the
 *   checkpoint that vouches for the chain is the newest trusted one whose head is the chain's link).
 * - R1b: the lease history of a sealer id that no longer runs, replayed at its pace: a healthy writer does not stand
 *   down (a successor's value must name the writer's own last write as the one it replaced).
 * - R4: mesh A's live lease relayed into mesh B's key (one registry key signs for both): holds nothing on B (lease
 *   values name their mesh).
 * - R5: mesh A's fresh checkpoints copied into mesh B, with the attacker's links on B: status pinned to the registry
 *   key says B's chain goes unsigned (checkpoints must be of B's origin and head B's chain).
 * - R3: a genuine presence record that once reported a problem, re-put every 2 s: not believed once it is older than
 *   STALE_MS by its signed time (a copy put back is not a current record).
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { makeLink } from "../src/chain.js";
import {
  auditStatus,
  ensureAuditStreams,
  openJetStreamAuditStore,
  startSealerNode,
  type AuditStore,
  type SealerNode,
} from "../src/index.js";
import { openSealerBucket } from "../src/internal.js";
import { meshLogEnd, readMeshLog } from "../src/store/mesh-log.js";
import { freshMesh } from "./helpers.js";
import { publishEvents } from "./sealing.js";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

const registryKey = generateKeyPair();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function conn(kind: "service" | "admin", mesh: string): Promise<NatsConnection> {
  const nc = kind === "admin" ? await nats.server.auth.connectAdmin(mesh) : await nats.server.auth.connectService(mesh);
  closers.push(() => nc.close());
  return nc;
}

async function provision(mesh: string): Promise<NatsConnection> {
  const admin = await conn("admin", mesh);
  await ensureMeshStream(admin, mesh);
  await ensureAuditStreams(admin, mesh);
  return admin;
}

/** Puts the captured lease values back into the key at the pace they were written; returns a stop. */
function replayAtPace(kv: KV, captured: readonly { value: string; t: number }[]): () => Promise<void> {
  let stopped = false;
  const replay = (async () => {
    const t0 = captured[0]!.t;
    const start = Date.now();
    for (const c of captured) {
      if (stopped) return;
      const wait = start + (c.t - t0) - Date.now();
      if (wait > 0) await sleep(wait);
      await kv.put("lease", c.value).catch(() => undefined);
    }
  })();
  return async () => {
    stopped = true;
    await replay;
  };
}

/** Runs `step` every `everyMs` until the returned stop is called. */
function loop(step: () => Promise<unknown>, everyMs: number): () => Promise<void> {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      await step().catch(() => undefined);
      await sleep(everyMs);
    }
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

/** The attacker's sealing without the key: a correct link for every event past the chain's head (anyone can compute them). */
async function appendLinks(nc: NatsConnection, mesh: string, store: AuditStore): Promise<void> {
  const head = await store.head();
  const end = await meshLogEnd(nc, mesh);
  let prev = head.hash;
  for await (const e of readMeshLog(nc, mesh, head.size + 1, end)) {
    const link = makeLink(prev, e);
    if (!(await store.append(link, e.n - 1)).ok) return;
    prev = link.hash;
  }
}

describe("sealers against hostile holders of the service credentials", { timeout: 90_000 }, () => {
  it("R1: a dead writer's lease history replayed at its pace + forger-appended correct links: the standby still takes over", async () => {
    const mesh = freshMesh("rv1");
    const admin = await provision(mesh);
    const tuning = { checkpointEvery: 5, checkpointIntervalMs: 200 };

    // The genuine writer, on a connection of its own (closing it is the writer's host dying).
    const writerNc = await nats.server.auth.connectService(mesh);
    const writer = await startSealerNode({
      nc: writerNc,
      mesh,
      key: registryKey,
      id: "writer",
      beatMs: 100,
      leaseTtlMs: 1_000,
      sealer: tuning,
    });
    closers.push(() => writer.stop());
    expect(writer.status().role).toBe("active");

    // The forger (service creds only) records every lease value the writer writes, with when it saw it.
    const forger = await conn("service", mesh);
    const kv = await openSealerBucket(forger, mesh);
    const captured: { value: string; t: number }[] = [];
    const watch = await kv.watch({ key: "lease" });
    const watching = (async () => {
      for await (const e of watch) if (e.operation === "PUT") captured.push({ value: e.string(), t: Date.now() });
    })();
    await publishEvents(admin, mesh, 20);
    await expect.poll(() => writer.status().head.size, { timeout: 10_000 }).toBe(20);
    await sleep(10_000); // ~10 s of renewals
    watch.stop();
    await watching;
    expect(captured.length).toBeGreaterThan(50);

    // The writer's host dies: no release, no last record.
    await writerNc.close();
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    const checkpointsBefore = (await jetstreamManager(admin).then((j) => j.streams.info(store.names.checkpointStream)))
      .state.messages;

    // 1. The captured lease history, replayed at the pace it was written.
    closers.push(replayAtPace(kv, captured));
    await sleep(150);

    // 2. Correct links for every new event, computed by the forger and appended with the service creds.
    const forgerStore = await openJetStreamAuditStore({ nc: forger, mesh });
    closers.push(() => forgerStore.close());
    const stopLinks = loop(() => appendLinks(forger, mesh, forgerStore), 100);
    closers.push(stopLinks);

    // The standby starts after the writer died (or had been standing by all along: the same).
    const standby: SealerNode = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "standby",
      beatMs: 200,
      leaseTtlMs: 1_000,
      takeoverAfterMs: 1_500,
      sealer: tuning,
    });
    closers.push(() => standby.stop());
    expect(standby.status()).toMatchObject({ role: "standby", writer: "writer" });

    // Events keep coming: the mesh must be sealed (linked AND signed by the registry key) by someone.
    const stopEvents = loop(() => publishEvents(admin, mesh, 3), 250);
    closers.push(stopEvents);
    await sleep(7_000);
    await stopEvents();

    const after = await jetstreamManager(admin).then((j) => j.streams.info(store.names.checkpointStream));
    const status = await auditStatus({
      nc: admin,
      mesh,
      store,
      trusted: new Set([registryKey.did]),
      stallAfterMs: 1_000,
      settleMs: 200,
    });
    // What the attack achieved, for the record: the head follows the log, nothing signed since the writer died,
    // the standby stands by and says it is ready.
    const seen = {
      standby: { role: standby.status().role, ready: standby.status().ready },
      lag: status.lag,
      newCheckpoints: after.state.messages - checkpointsBefore,
    };
    console.log("R1 observed:", JSON.stringify(seen), "status:", status.stalledReasons);

    // The property: a standby takes over from a writer that does not seal (the writer has been dead for 7 s; takeover
    // after 1.5 s), and is not "ready" while standing by behind one.
    expect(seen.standby).toEqual({ role: "active", ready: true });
    expect(seen.newCheckpoints).toBeGreaterThan(0);
  });

  it("R2: a genuine old checkpoint republished once: a healthy, fully signed, quiet mesh must not be reported STALLED", async () => {
    const mesh = freshMesh("rv2");
    const admin = await provision(mesh);
    const node = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "healthy",
      sealer: { checkpointEvery: 1, checkpointIntervalMs: 100 },
    });
    closers.push(() => node.stop());
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    const sizes = async () => {
      const out: number[] = [];
      for await (const cp of store.checkpoints()) out.push(cp.size);
      return out;
    };
    await publishEvents(admin, mesh, 5);
    await expect.poll(async () => (await sizes()).includes(5), { timeout: 10_000 }).toBe(true);
    await publishEvents(admin, mesh, 5);
    await expect.poll(async () => (await sizes()).includes(10), { timeout: 10_000 }).toBe(true);

    // The forger copies the genuine checkpoint at 5 (raw bytes, signed by the registry key) to the end of the stream.
    const forger = await conn("service", mesh);
    const jsm = await jetstreamManager(forger);
    let old: Uint8Array | undefined;
    for (let seq = 1; !old; seq++) {
      const m = await jsm.streams.getMessage(store.names.checkpointStream, { seq });
      if ((JSON.parse(new TextDecoder().decode(m!.data)) as { size: number }).size === 5) old = m!.data;
    }
    await jetstream(forger).publish(store.names.checkpointSubject, old);
    await sleep(1_000);

    // The mesh is healthy: a running sealer, nothing waiting, and a checkpoint by the registry key at the head.
    expect(node.status()).toMatchObject({ state: "running", ready: true, head: { size: 10 }, lag: 0 });
    expect(Math.max(...(await sizes()))).toBe(10);
    const status = await auditStatus({
      nc: admin,
      mesh,
      store,
      trusted: new Set([registryKey.did]),
      stallAfterMs: 300,
      settleMs: 100,
    });
    expect(status.stalledReasons).toEqual([]);
    expect(status.stalled).toBe(false);
  });

  it("R3: a genuine record that once reported a problem, re-put every 2 s: a healthy mesh is not reported STALLED", async () => {
    const mesh = freshMesh("rv3");
    const admin = await provision(mesh);
    const real = await openJetStreamAuditStore({ nc: await conn("service", mesh), mesh });
    closers.push(() => real.close());
    // Once upon a time, a sealer "flaky" could not start (its store did not answer): its record says "failed".
    const broken: AuditStore = {
      backend: real.backend,
      head: () => Promise.reject(new Error("the store did not answer")),
      append: (link, expected) => real.append(link, expected),
      links: (from, to) => real.links(from, to),
      link: (n) => real.link(n),
      appendCheckpoint: (cp) => real.appendCheckpoint(cp),
      checkpoints: () => real.checkpoints(),
      close: async () => undefined,
      [Symbol.asyncDispose]: async () => undefined,
    };
    const flaky = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "flaky",
      store: broken,
    });
    expect(flaky.status()).toMatchObject({ state: "failed", ready: false });
    const forger = await conn("service", mesh);
    const kv = await openSealerBucket(forger, mesh);
    await expect
      .poll(async () => JSON.parse((await kv.get("sealer.flaky"))?.string() ?? "{}").state, { timeout: 5_000 })
      .toBe("failed");
    const captured = (await kv.get("sealer.flaky"))!.string();
    await flaky.stop();

    // Now a healthy sealer seals everything; the forger keeps the old record alive (it only copies bytes).
    const node = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "healthy",
      sealer: { checkpointEvery: 1, checkpointIntervalMs: 100 },
    });
    closers.push(() => node.stop());
    await publishEvents(admin, mesh, 10);
    await expect.poll(() => node.status().head.size, { timeout: 10_000 }).toBe(10);
    const stopReplay = loop(() => kv.put("sealer.flaky", captured), 2_000);
    closers.push(stopReplay);
    await sleep(12_000); // past STALE_MS: without the copies the record would be "gone"

    expect(node.status()).toMatchObject({ state: "running", ready: true, lag: 0 });
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    const status = await auditStatus({
      nc: admin,
      mesh,
      store,
      trusted: new Set([registryKey.did]),
      stallAfterMs: 300,
      settleMs: 100,
    });
    console.log("R3 observed:", status.stalledReasons);
    expect(status.stalledReasons).toEqual([]);
    expect(status.stalled).toBe(false);
  });

  it("R1b: an old writer's lease history replayed + forger-appended links: the healthy writer keeps writing and signing", async () => {
    const mesh = freshMesh("rv1b");
    const admin = await provision(mesh);
    const tuning = { checkpointEvery: 5, checkpointIntervalMs: 200 };
    const forger = await conn("service", mesh);
    const kv = await openSealerBucket(forger, mesh);

    // Yesterday: sealer "old" wrote; the forger recorded its renewals. Then it was restarted (a new pid, a new id).
    const old = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "old",
      beatMs: 100,
      leaseTtlMs: 1_000,
      sealer: tuning,
    });
    const captured: { value: string; t: number }[] = [];
    const watch = await kv.watch({ key: "lease" });
    const watching = (async () => {
      for await (const e of watch) if (e.operation === "PUT") captured.push({ value: e.string(), t: Date.now() });
    })();
    await sleep(10_000);
    watch.stop();
    await watching;
    await old.stop();

    // Today: a healthy writer and a standby.
    const writer = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "writer",
      beatMs: 200,
      leaseTtlMs: 1_000,
      takeoverAfterMs: 1_500,
      sealer: tuning,
    });
    closers.push(() => writer.stop());
    const standby = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: registryKey,
      id: "standby",
      beatMs: 200,
      leaseTtlMs: 1_000,
      takeoverAfterMs: 1_500,
      sealer: tuning,
    });
    closers.push(() => standby.stop());
    await publishEvents(admin, mesh, 10);
    await expect.poll(() => writer.status().head.size, { timeout: 10_000 }).toBe(10);
    expect(writer.status()).toMatchObject({ role: "active", state: "running" });
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    const checkpoints = async () =>
      (await jetstreamManager(admin).then((j) => j.streams.info(store.names.checkpointStream))).state.messages;

    // The attack: the recorded history at its pace, and correct links for every new event.
    closers.push(replayAtPace(kv, captured));
    const forgerStore = await openJetStreamAuditStore({ nc: forger, mesh });
    closers.push(() => forgerStore.close());
    const stopLinks = loop(() => appendLinks(forger, mesh, forgerStore), 100);
    closers.push(stopLinks);
    await sleep(1_500);
    const before = await checkpoints();
    const stopEvents = loop(() => publishEvents(admin, mesh, 3), 250);
    closers.push(stopEvents);
    await sleep(6_000);
    await stopEvents();

    const seen = {
      writer: { role: writer.status().role, ready: writer.status().ready },
      standby: { role: standby.status().role, ready: standby.status().ready },
      newCheckpoints: (await checkpoints()) - before,
    };
    console.log("R1b observed:", JSON.stringify(seen));
    // The property: one of the two genuine sealers writes and signs the new events.
    expect([seen.writer.role, seen.standby.role]).toContain("active");
    expect(seen.newCheckpoints).toBeGreaterThan(0);
  });

  it("R4: mesh A's live lease relayed into mesh B (same registry key): B's writer keeps writing", async () => {
    const meshA = freshMesh("rv4a");
    const meshB = freshMesh("rv4b");
    await provision(meshA);
    const adminB = await provision(meshB);
    const tuning = { checkpointEvery: 5, checkpointIntervalMs: 200 };
    // Mesh A: its own writer, signing with the same registry key (the default key of the operator's key folder).
    const a = await startSealerNode({
      nc: await conn("service", meshA),
      mesh: meshA,
      key: registryKey,
      id: "a-writer",
      beatMs: 200,
      sealer: tuning,
    });
    closers.push(() => a.stop());
    // Mesh B: a healthy writer and a standby.
    const writer = await startSealerNode({
      nc: await conn("service", meshB),
      mesh: meshB,
      key: registryKey,
      id: "writer",
      beatMs: 200,
      leaseTtlMs: 1_000,
      takeoverAfterMs: 1_500,
      sealer: tuning,
    });
    closers.push(() => writer.stop());
    const standby = await startSealerNode({
      nc: await conn("service", meshB),
      mesh: meshB,
      key: registryKey,
      id: "standby",
      beatMs: 200,
      leaseTtlMs: 1_000,
      takeoverAfterMs: 1_500,
      sealer: tuning,
    });
    closers.push(() => standby.stop());
    await publishEvents(adminB, meshB, 10);
    await expect.poll(() => writer.status().head.size, { timeout: 10_000 }).toBe(10);

    // The forger holds both meshes' service creds (a host running nodes for both). It relays A's lease into B's, live.
    const forgerA = await conn("service", meshA);
    const forgerB = await conn("service", meshB);
    const kvA = await openSealerBucket(forgerA, meshA);
    const kvB = await openSealerBucket(forgerB, meshB);
    const watch = await kvA.watch({ key: "lease" });
    const relaying = (async () => {
      for await (const e of watch) if (e.operation === "PUT") await kvB.put("lease", e.string()).catch(() => undefined);
    })();
    closers.push(async () => {
      watch.stop();
      await relaying;
    });
    const forgerStore = await openJetStreamAuditStore({ nc: forgerB, mesh: meshB });
    closers.push(() => forgerStore.close());
    const stopLinks = loop(() => appendLinks(forgerB, meshB, forgerStore), 100);
    closers.push(stopLinks);
    await sleep(1_500);
    const store = await openJetStreamAuditStore({ nc: adminB, mesh: meshB });
    closers.push(() => store.close());
    const checkpoints = async () =>
      (await jetstreamManager(adminB).then((j) => j.streams.info(store.names.checkpointStream))).state.messages;
    const before = await checkpoints();
    const stopEvents = loop(() => publishEvents(adminB, meshB, 3), 250);
    closers.push(stopEvents);
    await sleep(8_000);
    await stopEvents();

    const seen = {
      writer: { role: writer.status().role, ready: writer.status().ready, writerSeen: writer.status().writer },
      standby: { role: standby.status().role, ready: standby.status().ready },
      newCheckpoints: (await checkpoints()) - before,
    };
    console.log("R4 observed:", JSON.stringify(seen));
    expect([seen.writer.role, seen.standby.role]).toContain("active");
    expect(seen.newCheckpoints).toBeGreaterThan(0);
  });

  it("R5: mesh A's fresh checkpoints copied into mesh B + forger links on B: status pinned to the registry key says B goes unsigned", async () => {
    const meshA = freshMesh("rv5a");
    const meshB = freshMesh("rv5b");
    const adminA = await provision(meshA);
    const adminB = await provision(meshB);
    const a = await startSealerNode({
      nc: await conn("service", meshA),
      mesh: meshA,
      key: registryKey,
      id: "a-writer",
      sealer: { checkpointEvery: 5, checkpointIntervalMs: 200 },
    });
    closers.push(() => a.stop());
    const stopA = loop(() => publishEvents(adminA, meshA, 50), 500); // mesh A is busy: fresh checkpoints, sizes ahead of B
    closers.push(stopA);

    // Mesh B: no sealer at all (or its sealers held off as in R1b/R4). The forger links B's events and copies A's
    // newest checkpoint into B's checkpoint stream every 500 ms.
    const forgerA = await conn("service", meshA);
    const forgerB = await conn("service", meshB);
    const storeA = await openJetStreamAuditStore({ nc: forgerA, mesh: meshA });
    closers.push(() => storeA.close());
    const forgerStore = await openJetStreamAuditStore({ nc: forgerB, mesh: meshB });
    closers.push(() => forgerStore.close());
    const jsmA = await jetstreamManager(forgerA);
    const stopCopy = loop(async () => {
      const m = await jsmA.streams.getMessage(storeA.names.checkpointStream, {
        last_by_subj: storeA.names.checkpointSubject,
      });
      if (m) await jetstream(forgerB).publish(forgerStore.names.checkpointSubject, m.data);
    }, 500);
    closers.push(stopCopy);
    const stopLinks = loop(() => appendLinks(forgerB, meshB, forgerStore), 100);
    closers.push(stopLinks);
    const stopEvents = loop(() => publishEvents(adminB, meshB, 3), 250);
    closers.push(stopEvents);
    await sleep(5_000);

    const store = await openJetStreamAuditStore({ nc: adminB, mesh: meshB });
    closers.push(() => store.close());
    // stallAfterMs 1 s: anything unsigned by the registry key on B for 2 s is a stall; B has never had one.
    const status = await auditStatus({
      nc: adminB,
      mesh: meshB,
      store,
      trusted: new Set([registryKey.did]),
      stallAfterMs: 1_000,
      settleMs: 200,
    });
    console.log(
      "R5 observed:",
      JSON.stringify({
        stalled: status.stalled,
        reasons: status.stalledReasons,
        lag: status.lag,
        head: status.head.size,
        lastCheckpoint: status.lastCheckpoint?.size,
      }),
    );
    expect(status.stalled).toBe(true);
  });
});
