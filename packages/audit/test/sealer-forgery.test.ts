/**
 * Sealers among hostile holders of the mesh's service credentials (issue 13, review finding "forged lease and presence
 * records"), on a real nats-server in operator mode. The forger connects with the service creds, as every registry
 * node, sealer and gateway does: it may write the sealers' bucket (the writer lease, the presence records) but does
 * not hold the registry key.
 * - A forged lease rewritten every 100 ms and a self-signed "active, running, lag 0" record: the genuine sealer seals
 *   anyway and says why at error; status does not believe the record.
 * - A writer that keeps renewing the lease but seals nothing: a standby judges it by the chain and takes over.
 * - No sealer at all, with a genuine record copied back every 200 ms and the lease held: status and the sealer check
 *   say the mesh is stalled, from the chain, whatever the records claim.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import {
  auditStatus,
  ensureAuditStreams,
  openJetStreamAuditStore,
  startSealerNode,
  type AuditStore,
  type SealerNode,
} from "../src/index.js";
import { openSealerBucket } from "../src/internal.js";
import { signPresence, type SealerPresence } from "../src/node/presence.js";
import { signLease } from "../src/node/lease.js";
import { freshMesh } from "./helpers.js";
import { chainProblems, delayedStore, publishEvents } from "./sealing.js";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

const registryKey = generateKeyPair();
const forgerKey = generateKeyPair();

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

type Line = { level: "info" | "error"; line: string };

async function sealer(
  mesh: string,
  id: string,
  extra: { store?: AuditStore; takeoverAfterMs?: number } = {},
): Promise<{ node: SealerNode; lines: Line[] }> {
  const nc = await conn("service", mesh);
  const lines: Line[] = [];
  const node = await startSealerNode({
    nc,
    mesh,
    key: registryKey,
    id,
    leaseTtlMs: 2_000,
    log: (level, line) => lines.push({ level, line }),
    ...extra,
  });
  closers.push(() => node.stop());
  return { node, lines };
}

/** A presence record that says all is well: active, running, nothing waiting. */
function allWell(key: KeyPair, mesh: string, id: string, size: number): SealerPresence {
  const now = Date.now();
  return signPresence(key, {
    id,
    mesh,
    host: "elsewhere",
    pid: 1,
    role: "active",
    state: "running",
    head: { size, hash: "0".repeat(64) },
    logEnd: size,
    lag: 0,
    sealed: size,
    startedAt: now,
    at: now,
  });
}

/** Writes `write()` every `everyMs` until the returned stop is called. */
function keepWriting(write: () => Promise<unknown>, everyMs: number): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await write().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

describe("sealers against forged lease and presence records", { timeout: 60_000 }, () => {
  it("a forged lease rewritten every 100 ms and a self-signed 'running' record: the genuine sealer seals anyway, says why, and status does not believe the record", async () => {
    const mesh = freshMesh("forge");
    const admin = await provision(mesh);
    const forger = await conn("service", mesh);
    const kv = await openSealerBucket(forger, mesh);
    const stopForging = keepWriting(async () => {
      await kv.put("lease", signLease(forgerKey, { mesh, id: "ghost", at: Date.now(), prev: 0 }));
      await kv.put("sealer.ghost", JSON.stringify(allWell(forgerKey, mesh, "ghost", 0)));
    }, 100);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const { node, lines } = await sealer(mesh, "real");
      await publishEvents(admin, mesh, 200);
      await expect.poll(() => node.status().head.size, { timeout: 15_000 }).toBe(200);
      expect(node.status()).toMatchObject({ role: "active", state: "running" });
      expect(
        lines.some(
          (l) =>
            l.level === "error" &&
            /writer lease is not to be believed \(the lease names "ghost" but is signed by did:key:\S+, not a trusted registry key/.test(
              l.line,
            ),
        ),
      ).toBe(true);

      const store = await openJetStreamAuditStore({ nc: admin, mesh });
      closers.push(() => store.close());
      const status = await auditStatus({ nc: admin, mesh, store, trusted: new Set([registryKey.did]) });
      expect(status.stalled).toBe(false);
      expect(status.sealers.find((s) => s.id === "ghost")).toMatchObject({ valid: true, trusted: false, live: true });
      expect(status.warnings.join("\n")).toMatch(
        /sealer record ghost: signed by did:key:\S+, not a key you trust; not believed/,
      );
      expect(await chainProblems(admin, mesh, store)).toEqual([]);
    } finally {
      await stopForging();
    }
  });

  it("a writer that renews the lease but seals nothing: the standby judges it by the chain and takes over", async () => {
    const mesh = freshMesh("forge");
    const admin = await provision(mesh);
    const nc = await conn("service", mesh);
    const real = await openJetStreamAuditStore({ nc, mesh });
    closers.push(() => real.close());
    // Its appends never land while the gate is closed (a disk or a server that stopped answering); its lease beats go on.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    closers.push(async () => open());
    const { node: stuck } = await sealer(mesh, "stuck", { store: delayedStore(real, () => gate) });
    expect(stuck.status().role).toBe("active");
    const { node: standby, lines } = await sealer(mesh, "standby", { takeoverAfterMs: 1_500 });
    expect(standby.status().role).toBe("standby");

    await publishEvents(admin, mesh, 50);
    await expect.poll(() => standby.status().head.size, { timeout: 15_000 }).toBe(50);
    expect(standby.status()).toMatchObject({ role: "active", state: "running" });
    expect(
      lines.some(
        (l) =>
          l.level === "error" &&
          /^stuck holds the writer lease but the chain is not sealed: no progress: \d+ events wait/.test(l.line) &&
          l.line.endsWith("standby takes over"),
      ),
    ).toBe(true);
    // The old writer learns at its next renewal that the lease moved, and stands by.
    await expect.poll(() => stuck.status().role, { timeout: 5_000 }).toBe("standby");
    open();
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    expect(await chainProblems(admin, mesh, store)).toEqual([]);
  });

  it("no sealer, the lease held and a genuine 'running' record copied back every 200 ms: status says stalled, from the chain", async () => {
    const mesh = freshMesh("forge");
    const admin = await provision(mesh);
    const forger = await conn("service", mesh);
    const kv = await openSealerBucket(forger, mesh);
    // What a genuine sealer once wrote (signed by the registry key), copied back: the forger cannot sign a new one.
    const captured = JSON.stringify(allWell(registryKey, mesh, "ghost", 0));
    const lease = signLease(registryKey, { mesh, id: "ghost", at: Date.now(), prev: 0 });
    const stopForging = keepWriting(async () => {
      await kv.put("lease", lease);
      await kv.put("sealer.ghost", captured);
    }, 200);
    try {
      await publishEvents(admin, mesh, 20);
      const store = await openJetStreamAuditStore({ nc: admin, mesh });
      closers.push(() => store.close());
      const status = () =>
        auditStatus({ nc: admin, mesh, store, trusted: new Set([registryKey.did]), stallAfterMs: 500, settleMs: 300 });
      // Before the threshold: events wait, no stall yet (and the record is believed, for what it says about itself).
      const early = await auditStatus({
        nc: admin,
        mesh,
        store,
        trusted: new Set([registryKey.did]),
        stallAfterMs: 60_000,
      });
      expect(early).toMatchObject({ stalled: false, lag: 20 });
      await new Promise((r) => setTimeout(r, 600));
      const late = await status();
      expect(late).toMatchObject({ stalled: true, lag: 20, head: { size: 0 } });
      expect(late.stalledReasons.join("\n")).toMatch(
        /^20 events wait to be sealed, the oldest for \d+ s, and the chain's head stays at 0: nothing seals the mesh/m,
      );
      expect(late.sealers.find((s) => s.id === "ghost")).toMatchObject({ trusted: true, live: true, state: "running" });
      // Unpinned, the same.
      expect((await auditStatus({ nc: admin, mesh, store, stallAfterMs: 500, settleMs: 300 })).stalled).toBe(true);
    } finally {
      await stopForging();
    }
  });

  it("links appended by someone without the registry key: status pinned to the registry key says their tail goes unsigned", async () => {
    const mesh = freshMesh("forge");
    const admin = await provision(mesh);
    const tuning = { checkpointEvery: 5, checkpointIntervalMs: 100 };
    const nc = await conn("service", mesh);
    const genuine = await startSealerNode({ nc, mesh, key: registryKey, id: "genuine", sealer: tuning });
    await publishEvents(admin, mesh, 10);
    await expect.poll(() => genuine.status().head.size, { timeout: 10_000 }).toBe(10);
    await genuine.stop();
    // The forger runs a sealer of its own: the links are right (anyone can compute them), the checkpoints its key's.
    const forged = await startSealerNode({
      nc: await conn("service", mesh),
      mesh,
      key: forgerKey,
      id: "imitation",
      sealer: tuning,
    });
    closers.push(() => forged.stop());
    await publishEvents(admin, mesh, 10);
    await expect.poll(() => forged.status().head.size, { timeout: 10_000 }).toBe(20);
    const store = await openJetStreamAuditStore({ nc: admin, mesh });
    closers.push(() => store.close());
    await new Promise((r) => setTimeout(r, 700));
    const pinned = await auditStatus({
      nc: admin,
      mesh,
      store,
      trusted: new Set([registryKey.did]),
      stallAfterMs: 300,
      settleMs: 100,
    });
    expect(pinned).toMatchObject({ stalled: true, lag: 0, head: { size: 20 } });
    expect(pinned.stalledReasons.join("\n")).toMatch(
      /^10 links past the newest checkpoint \(at 10, signed \d+ s ago by did:key:\S+\) go unsigned: nothing holding the registry key signs the chain/m,
    );
    // Unpinned, the imitation's own checkpoints are taken: what pinning the registry key is for.
    expect((await auditStatus({ nc: admin, mesh, store, stallAfterMs: 300, settleMs: 100 })).stalled).toBe(false);
  });
});
