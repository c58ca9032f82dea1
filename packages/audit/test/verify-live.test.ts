/**
 * Verification, export and query on the live stores: SDK traffic sealed by a real sealer, then tampering by a
 * privileged client of the test (raw JetStream publishes on the chain subject, streams created permissive before
 * sealing and edited afterwards), each caught at its position; and the deletions the stream settings refuse.
 */
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream, meshStreamConfig } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventHash, makeLink, GENESIS } from "../src/chain.js";
import { readExport } from "../src/export/reader.js";
import { signCheckpoint } from "../src/sealer/checkpoint.js";
import { startSealer } from "../src/sealer/sealer.js";
import { encodeLink } from "../src/store/codec.js";
import { auditStreamConfigs, auditStreamNames, openJetStreamAuditStore } from "../src/store/jetstream-store.js";
import { meshLogEnd, readMeshLog } from "../src/store/mesh-log.js";
import type { AuditStore, ChainLink } from "../src/types.js";
import { verifyChain, type VerifyReport } from "../src/verify/verifier.js";
import { exportStore, verifyStore } from "../src/verify/live.js";
import { collect, freshMesh, tempDir } from "./helpers.js";
import { publishEvents } from "./sealing.js";

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

function fault(r: VerifyReport): { position: number; kind: string } | "ok" {
  return r.ok ? "ok" : { position: r.position, kind: r.kind };
}

/** Seals the mesh log as it is now with a real sealer (checkpoint every 5 links), then stops it. */
async function sealNow(mesh: string, key: KeyPair = generateKeyPair()): Promise<AuditStore> {
  const store = await openJetStreamAuditStore({ nc, mesh });
  const sealer = await startSealer({ nc, mesh, store, key, checkpointEvery: 5, checkpointIntervalMs: 60_000 });
  try {
    await sealer.caughtUp();
  } finally {
    await sealer.stop();
  }
  return store;
}

/**
 * Seals a log whose streams were created permissive, which a real sealer refuses to seal (HISTORY_STREAM_WEAKENED):
 * the links a sealer would append, appended by the test, with a checkpoint every 5 links and one of the head.
 */
async function sealByHand(mesh: string, key: KeyPair = generateKeyPair()): Promise<AuditStore> {
  const store = await openJetStreamAuditStore({ nc, mesh });
  let prev = GENESIS;
  let n = 0;
  for await (const event of readMeshLog(nc, mesh, 1)) {
    const link = makeLink(prev, event);
    expect(await store.append(link, event.n - 1)).toMatchObject({ ok: true });
    prev = link.hash;
    n = event.n;
    if (n % 5 === 0) await store.appendCheckpoint(signCheckpoint(key, { size: n, head: prev, at: Date.now() }));
  }
  if (n % 5 !== 0) await store.appendCheckpoint(signCheckpoint(key, { size: n, head: prev, at: Date.now() }));
  return store;
}

const verify = (mesh: string, store: AuditStore, extra: { trustedSigners?: string[] } = {}) =>
  verifyStore({ nc, mesh, store, ...extra });

/** Waits until the mesh log stops growing (late receipts). */
async function _settled(mesh: string): Promise<void> {
  let last = -1;
  for (let end = await meshLogEnd(nc, mesh); end !== last; end = await meshLogEnd(nc, mesh)) {
    last = end;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A fresh mesh with `count` raw events in its log. */
async function meshWith(count: number): Promise<string> {
  const mesh = freshMesh("v");
  await ensureMeshStream(nc, mesh);
  await publishEvents(nc, mesh, count);
  return mesh;
}

/** A mesh whose log and chain streams a privileged client created without deny_delete/deny_purge, before sealing. */
async function permissiveMesh(events: number): Promise<string> {
  const mesh = freshMesh("v");
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ ...meshStreamConfig(mesh), deny_delete: false, deny_purge: false });
  for (const config of auditStreamConfigs(mesh))
    await jsm.streams.add({ ...config, deny_delete: false, deny_purge: false });
  await publishEvents(nc, mesh, events);
  return mesh;
}

describe("verify on the live stores", { timeout: 30_000 }, () => {
  // SDK traffic sealed, verified, exported and queried: nodes/start/test/audit-sdk-traffic.test.ts (the SDK sits above audit).
  it("the checkpoint fast path gives the full comparison's answer, on a chain whose tail is past the last checkpoint", async () => {
    const mesh = await meshWith(23);
    const store = await sealNow(mesh);
    cleanups.push(() => store.close());
    // Three more events sealed without a checkpoint: positions 24–26 are covered by their stored links only.
    await publishEvents(nc, mesh, 3);
    let prev = (await store.link(23))!.hash;
    for await (const event of readMeshLog(nc, mesh, 24)) {
      const link = makeLink(prev, event);
      expect(await store.append(link, event.n - 1)).toMatchObject({ ok: true });
      prev = link.hash;
    }
    const checkpoints = await collect(store.checkpoints());
    expect(Math.max(...checkpoints.map((c) => c.size))).toBe(23);
    const fast = await verify(mesh, store);
    const full = await verifyStore({ nc, mesh, store, full: true });
    expect(fast).toEqual(full);
    expect(fast).toMatchObject({ ok: true, verified: 26 });
    // A bogus link past the last checkpoint is compared, not skipped.
    await publishEvents(nc, mesh, 1);
    expect(
      await store.append({ ...makeLink(prev, { n: 27, subject: "x", data: new Uint8Array(), storedAt: 0 }) }, 26),
    ).toMatchObject({ ok: true });
    expect(fault(await verify(mesh, store))).toEqual({ position: 27, kind: "altered" });
    // An event deleted from a log a privileged client made deletable: the fast path declines, the full walk names it.
    const permissive = freshMesh("v");
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ ...meshStreamConfig(permissive), deny_delete: false, deny_purge: false });
    await publishEvents(nc, permissive, 12);
    const sealed = await sealByHand(permissive);
    cleanups.push(() => sealed.close());
    await jsm.streams.deleteMessage(meshSubjects(permissive).stream, 4);
    expect(fault(await verify(permissive, sealed))).toEqual({ position: 4, kind: "missing" });
  });

  it("the log, the chain and the checkpoints refuse deletion and purge", async () => {
    const mesh = await meshWith(3);
    await sealNow(mesh);
    const jsm = await jetstreamManager(nc);
    const names = auditStreamNames(mesh);
    for (const stream of [meshSubjects(mesh).stream, names.chainStream, names.checkpointStream]) {
      await expect(jsm.streams.deleteMessage(stream, 1), stream).rejects.toThrow(/delete/i);
      await expect(jsm.streams.purge(stream), stream).rejects.toThrow(/purge/i);
    }
  });

  it("links published on the chain subject by a privileged client: a copy is inserted, a bogus hash forks", async () => {
    const js = jetstream(nc);
    const inserted = await meshWith(8);
    const s1 = await sealNow(inserted);
    await js.publish(auditStreamNames(inserted).chainSubject, encodeLink((await s1.link(3)) as ChainLink));
    expect(fault(await verify(inserted, s1))).toEqual({ position: 9, kind: "inserted" });

    const forked = await meshWith(8);
    const s2 = await sealNow(forked);
    await publishEvents(nc, forked, 1);
    const [ninth] = await collect(readMeshLog(nc, forked, 9, 9));
    const e = eventHash(ninth!.subject, ninth!.data);
    await js.publish(
      auditStreamNames(forked).chainSubject,
      encodeLink({ n: 9, event: e, hash: "ab".repeat(32), subject: ninth!.subject, storedAt: ninth!.storedAt }),
    );
    expect(fault(await verify(forked, s2))).toEqual({ position: 9, kind: "forked" });
  });

  it("a chain stream deleted and rebuilt shorter is truncated; in streams created permissive, a deleted link or event is missing", async () => {
    const mesh = await permissiveMesh(20);
    const store = await sealByHand(mesh);
    expect(fault(await verify(mesh, store))).toBe("ok");
    // deny_delete does not stop a privileged client from deleting the whole stream and rebuilding it shorter.
    const jsm = await jetstreamManager(nc);
    const names = auditStreamNames(mesh);
    const links = await collect(store.links(1));
    const config = (await jsm.streams.info(names.chainStream)).config;
    await jsm.streams.delete(names.chainStream);
    await jsm.streams.add(config);
    const js = jetstream(nc);
    for (const link of links.slice(0, 17)) await js.publish(names.chainSubject, encodeLink(link));
    expect(fault(await verify(mesh, store))).toEqual({ position: 18, kind: "truncated" });
    await jsm.streams.deleteMessage(names.chainStream, 12);
    expect(fault(await verify(mesh, store))).toEqual({ position: 12, kind: "missing" });
    await jsm.streams.deleteMessage(meshSubjects(mesh).stream, 7);
    const r = await verify(mesh, store);
    expect(fault(r)).toEqual({ position: 7, kind: "missing" });
    expect(r.ok || r.detail).toContain("event 7 is missing from the log");
    // The export writes what the stores hold, so verifying it finds the same fault.
    const dir = await tempDir();
    cleanups.push(() => dir.cleanup());
    const path = join(dir.path, "damaged.jsonl");
    const out = createWriteStream(path);
    await exportStore({ nc, mesh, store, out });
    out.end();
    await finished(out);
    expect(fault(await verifyChain(await readExport(path)))).toEqual({ position: 7, kind: "missing" });
  });

  it("a chain written out of order by a privileged client is reordered; a checkpoint by another key fails when the key is required", async () => {
    const mesh = await meshWith(10);
    const events = await collect(readMeshLog(nc, mesh, 1));
    const links: ChainLink[] = [];
    let prev = GENESIS;
    for (const e of events) {
      links.push(makeLink(prev, e));
      prev = links.at(-1)!.hash;
    }
    const js = jetstream(nc);
    const store = await openJetStreamAuditStore({ nc, mesh });
    const order = [0, 1, 2, 3, 5, 4, 6, 7, 8, 9];
    for (const [i, j] of order.entries())
      await js.publish(auditStreamNames(mesh).chainSubject, encodeLink(links[j]!), { expect: { lastSequence: i } });
    expect(fault(await verify(mesh, store))).toEqual({ position: 5, kind: "reordered" });

    const sealed = await meshWith(6);
    const registry = generateKeyPair();
    const s = await sealNow(sealed, registry);
    await s.appendCheckpoint(
      signCheckpoint(generateKeyPair(), { size: 3, head: (await s.link(3))!.hash, at: Date.now() }),
    );
    expect(fault(await verify(sealed, s))).toBe("ok");
    expect(fault(await verify(sealed, s, { trustedSigners: [registry.did] }))).toEqual({
      position: 3,
      kind: "checkpoint_signature",
    });
  });
});
