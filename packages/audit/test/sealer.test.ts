import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { isPlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeLink } from "../src/chain.js";
import { signCheckpoint, verifyCheckpoint } from "../src/sealer/checkpoint.js";
import { startSealer, type Sealer, type SealerOptions } from "../src/sealer/sealer.js";
import { openJetStreamAuditStore } from "../src/store/jetstream-store.js";
import { meshLogEnd, readMeshLog } from "../src/store/mesh-log.js";
import type { AuditStore, ChainLink } from "../src/types.js";
import { collect, freshMesh, until } from "./helpers.js";
import { chainProblems, publishEvents } from "./sealing.js";

const nats = useTestServer();
let nc: NatsConnection;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterEach(async () => {
  await Promise.allSettled(
    cleanups
      .splice(0)
      .reverse()
      .map((c) => c()),
  );
});
afterAll(async () => {
  await nc?.close();
});

/** A connection of its own (a second registry node would have one), closed after the test. */
async function connection(): Promise<NatsConnection> {
  const c = await connectBus({ servers: nats.url });
  cleanups.push(() => c.close());
  return c;
}

async function sealer(
  mesh: string,
  extra: Partial<SealerOptions> = {},
): Promise<{ sealer: Sealer; store: AuditStore; errors: unknown[] }> {
  const c = extra.nc ?? (await connection());
  const store = extra.store ?? (await openJetStreamAuditStore({ nc: c, mesh }));
  const errors: unknown[] = [];
  const s = await startSealer({ nc: c, mesh, store, key: generateKeyPair(), onError: (e) => errors.push(e), ...extra });
  cleanups.push(() => s.stop());
  return { sealer: s, store, errors };
}

describe("sealer", () => {
  // Agents' traffic (SDK) sealed exactly once: nodes/start/test/audit-sdk-traffic.test.ts (the SDK sits above audit).
  it("two sealers racing on one mesh build one chain: every position once, no fork, both caught up", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 3_000);
    // Both read the chain's head (empty) at the same time, so both append the same first positions.
    const [a, b] = await Promise.all([sealer(mesh), sealer(mesh)]);
    await publishEvents(nc, mesh, 2_000);
    await Promise.all([a.sealer.caughtUp(), b.sealer.caughtUp()]);

    expect(await chainProblems(nc, mesh, a.store)).toEqual([]);
    const [sa, sb] = [a.sealer.stats(), b.sealer.stats()];
    expect(sa.head).toEqual(sb.head);
    expect(sa.head.size).toBe(5_000);
    expect(sa.sealed + sa.verified).toBe(5_000);
    expect(sb.sealed + sb.verified).toBe(5_000);
    expect(sa.sealed + sb.sealed).toBeLessThanOrEqual(5_000);
    expect(sa.conflicts + sb.conflicts).toBeGreaterThan(0);
    expect([...a.errors, ...b.errors].filter((e) => isPlexusError(e, "AUDIT_FORK"))).toEqual([]);
    expect([sa.state, sb.state]).toEqual(["running", "running"]);
  });

  it("a stopped sealer's successor resumes where the chain ends", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 4_000);
    const first = await sealer(mesh, { pipeline: 4 });
    await until(async () => (await first.store.head()).size >= 300, 10_000, "the first sealer to make progress");
    await first.sealer.stop();
    const stoppedAt = (await first.store.head()).size;
    expect(stoppedAt).toBeLessThan(4_000);
    await expect(first.sealer.caughtUp()).rejects.toMatchObject({ code: "CLOSED" });

    const second = await sealer(mesh);
    await second.sealer.caughtUp();
    expect(second.sealer.stats()).toMatchObject({ sealed: 4_000 - stoppedAt, verified: 0, conflicts: 0 });
    expect(await chainProblems(nc, mesh, second.store)).toEqual([]);
  });

  it("a sealer killed mid-stream (SIGKILL) is resumed by another one where the chain ends", {
    timeout: 30_000,
  }, async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 20_000, 512);
    const store = await openJetStreamAuditStore({ nc, mesh });
    let child: ChildProcess | undefined;
    try {
      child = spawnSealer(mesh);
      await until(async () => (await store.head()).size >= 1_000, 20_000, "the child sealer to make progress");
      child.kill("SIGKILL");
      await new Promise((r) => child!.once("exit", r));
      const killedAt = (await store.head()).size;
      expect(killedAt).toBeLessThan(20_000);

      const next = await sealer(mesh);
      await next.sealer.caughtUp();
      const stats = next.sealer.stats();
      // Appends the killed process had already sent may land after the successor read the head: those it verifies.
      expect(stats.sealed + stats.verified).toBe(20_000 - killedAt);
      expect(await chainProblems(nc, mesh, store)).toEqual([]);
    } finally {
      child?.kill("SIGKILL");
    }
  });

  it("reports a fork and stops when another writer stored a different link at a position", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 50);
    const c = await connection();
    const real = await openJetStreamAuditStore({ nc: c, mesh });
    const rogue = await openJetStreamAuditStore({ nc: await connection(), mesh });
    // Just before the sealer appends position 10, a rogue writer takes it with a link over a different event.
    const racing: AuditStore = {
      backend: real.backend,
      head: () => real.head(),
      append: async (link: ChainLink, expected: number) => {
        if (link.n === 10)
          await rogue.append(
            makeLink((await rogue.head()).hash, { n: 10, subject: "x", data: new Uint8Array([1]), storedAt: 0 }),
            9,
          );
        return real.append(link, expected);
      },
      links: (from, to) => real.links(from, to),
      link: (n) => real.link(n),
      appendCheckpoint: (cp) => real.appendCheckpoint(cp),
      checkpoints: () => real.checkpoints(),
      close: () => real.close(),
      [Symbol.asyncDispose]: () => real.close(),
    };
    // One append in flight at a time, so positions 1-9 are stored before the rogue writes 10.
    const { sealer: s, errors } = await sealer(mesh, { nc: c, store: racing, pipeline: 1 });
    await expect(s.caughtUp()).rejects.toMatchObject({ code: "AUDIT_FORK", details: { position: 10 } });
    expect(errors.filter((e) => isPlexusError(e, "AUDIT_FORK"))).toHaveLength(1);
    expect(s.stats()).toMatchObject({ state: "failed", head: { size: 9 } });
  });

  it("refuses to start on a chain whose head does not seal the mesh event at its position", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 3);
    const store = await openJetStreamAuditStore({ nc, mesh });
    const events = await collect(readMeshLog(nc, mesh, 1));
    await store.append(makeLink((await store.head()).hash, events[0]!), 0);
    await store.append(makeLink((await store.head()).hash, { ...events[1]!, data: new Uint8Array([0]) }), 1);
    await expect(startSealer({ nc, mesh, store, key: generateKeyPair() })).rejects.toMatchObject({
      code: "AUDIT_FORK",
      details: { position: 2 },
    });
  });
});

describe("checkpoints", () => {
  it("are signed every N links and on a timer, verify with the signer's DID, and the last one covers the head", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 350);
    const key = generateKeyPair();
    const { sealer: s, store } = await sealer(mesh, {
      key,
      checkpointEvery: 100,
      checkpointIntervalMs: 100,
      pipeline: 50,
    });
    await s.caughtUp();
    await until(
      async () => (await collect(store.checkpoints())).some((cp) => cp.size === 350),
      5_000,
      "a checkpoint of the head",
    );
    const cps = await collect(store.checkpoints());
    expect(cps.length).toBeGreaterThanOrEqual(2);
    for (const cp of cps) {
      expect(cp.signer).toBe(key.did);
      expect(verifyCheckpoint(cp)).toBe(true);
      expect(cp.head).toBe((await store.link(cp.size))!.hash);
    }
    expect(s.stats().checkpoints).toBe(cps.length);

    await publishEvents(nc, mesh, 5);
    await s.caughtUp();
    await s.stop();
    expect((await collect(store.checkpoints())).at(-1)).toMatchObject({ size: 355, head: (await store.head()).hash });
  });

  it("signed by another key do not verify, nor do altered ones", () => {
    const registry = generateKeyPair();
    const other = generateKeyPair();
    const cp = signCheckpoint(registry, { size: 10, head: "ab".repeat(32), at: 1_700_000_000_000 });
    expect(verifyCheckpoint(cp)).toBe(true);
    const byOther = signCheckpoint(other, { size: 10, head: cp.head, at: cp.at });
    expect(verifyCheckpoint({ ...byOther, signer: registry.did })).toBe(false);
    expect(verifyCheckpoint({ ...cp, sig: byOther.sig })).toBe(false);
    expect(verifyCheckpoint({ ...cp, size: 11 })).toBe(false);
    expect(verifyCheckpoint({ ...cp, head: "cd".repeat(32) })).toBe(false);
    expect(verifyCheckpoint({ ...cp, at: cp.at + 1 })).toBe(false);
    expect(verifyCheckpoint({ ...cp, signer: "did:key:nonsense" })).toBe(false);
    expect(verifyCheckpoint({ ...cp, sig: "" })).toBe(false);
  });
});

/** Waits until the mesh log has not grown for 300 ms (the last receipts are flushed in batches). */
async function _quiet(mesh: string): Promise<void> {
  let last = -1;
  for (;;) {
    const end = await meshLogEnd(nc, mesh);
    if (end === last) return;
    last = end;
    await new Promise((r) => setTimeout(r, 300));
  }
}

function spawnSealer(mesh: string): ChildProcess {
  const fixture = fileURLToPath(new URL("./fixtures/sealer-process.ts", import.meta.url));
  const env = {
    ...process.env,
    PLEXUS_NATS_URL: nats.url,
    PLEXUS_MESH: mesh,
    PLEXUS_TEST_SEED: Buffer.from(generateKeyPair().exportSeed()).toString("hex"),
    PLEXUS_SEALER_PIPELINE: "4",
  };
  return spawn(process.execPath, ["--import", "tsx", fixture], { env, stdio: ["ignore", "ignore", "inherit"] });
}
