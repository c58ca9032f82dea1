/**
 * Agents' real traffic (SDK: direct messages, receipts, topic messages) sealed by a real sealer: every event once, the
 * chain verifies, its export verifies to the same head, queries find the messages. Here, not in packages/audit: the
 * SDK sits above the audit package, and a test there that imports it made a package cycle (audit ↔ sdk).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  auditStatus,
  exportStore,
  meshLogEnd,
  openJetStreamAuditStore,
  queryStore,
  readExport,
  startSealer,
  verifyChain,
  verifyStore,
  type AuditMatch,
} from "@plexus/audit";
import { connectBus } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { Agent, type Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const nats = useTestServer();
let nc: NatsConnection;
let counter = 0;
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

const freshMesh = () => `sdkaudit${process.pid}-${++counter}`;

async function agent(mesh: string): Promise<Agent> {
  const a = await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh });
  cleanups.push(() => a.close());
  return a;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/** Waits until the mesh log stops growing (late receipts). */
async function settled(mesh: string): Promise<void> {
  let last = -1;
  for (let end = await meshLogEnd(nc, mesh); end !== last; end = await meshLogEnd(nc, mesh)) {
    last = end;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("SDK traffic, sealed", { timeout: 30_000 }, () => {
  it("is sealed exactly once, event by event, before and after the sealer starts: direct messages, receipts and topic messages", async () => {
    const mesh = freshMesh();
    const [alice, bob, carol] = [await agent(mesh), await agent(mesh), await agent(mesh)];
    const news: Delivery[] = [];
    await bob.listen(() => undefined);
    await carol.subscribe("news", (d) => void news.push(d));
    for (let i = 0; i < 5; i++) await alice.send(bob.did, { early: i }, { awaitReceipt: true });

    const key = generateKeyPair();
    const store = await openJetStreamAuditStore({ nc, mesh });
    const errors: unknown[] = [];
    const sealer = await startSealer({ nc, mesh, store, key, onError: (e) => errors.push(e) });
    cleanups.push(() => sealer.stop());
    await Promise.all(Array.from({ length: 20 }, (_, i) => alice.send(bob.did, { burst: i }, { awaitReceipt: true })));
    for (let i = 0; i < 10; i++) await alice.publish("news", { i });
    await until(() => news.length === 10, 10_000, "topic deliveries");
    await settled(mesh);
    await sealer.caughtUp();

    const end = await meshLogEnd(nc, mesh);
    expect(await verifyStore({ nc, mesh, store })).toMatchObject({ ok: true, verified: end, head: { size: end } });
    const kinds = new Set((await collect(store.links(1))).map((l) => l.subject.split(".")[3]));
    expect([...kinds].sort()).toEqual(["inbox", "receipt", "topic"]);
    expect(sealer.stats()).toMatchObject({ sealed: end, conflicts: 0, lagEvents: 0, state: "running" });
    expect(errors).toEqual([]);
  });

  it("verifies; its export verifies to the same head; queries find it", async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const [alice, bob] = [await agent(mesh), await agent(mesh)];
    await bob.listen(() => undefined);
    for (let i = 0; i < 6; i++)
      await alice.send(bob.did, { i }, { conversation: i < 3 ? "conv-1" : "conv-2", awaitReceipt: true });
    await alice.publish("news", { hello: 1 });
    await settled(mesh);
    const store = await openJetStreamAuditStore({ nc, mesh });
    const sealer = await startSealer({ nc, mesh, store, key, checkpointEvery: 5, checkpointIntervalMs: 60_000 });
    await sealer.caughtUp().finally(() => sealer.stop());

    const end = await meshLogEnd(nc, mesh);
    const report = await verifyStore({ nc, mesh, store, trustedSigners: [key.did] });
    expect(report).toMatchObject({ ok: true, verified: end, head: await store.head() });
    expect(report.checkpoints.checked).toBeGreaterThanOrEqual(1);
    expect(await auditStatus({ nc, mesh, store })).toMatchObject({
      head: { size: end },
      logEnd: end,
      lag: 0,
      lastCheckpoint: { size: end, signer: key.did, valid: true },
    });

    const dir = await mkdtemp(join(tmpdir(), "plexus-sdk-audit-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "export.jsonl");
    const out = createWriteStream(path);
    expect(await exportStore({ nc, mesh, store, out })).toMatchObject({ from: 1, to: end, count: end });
    out.end();
    await finished(out);
    expect(await verifyChain({ ...(await readExport(path)), trustedSigners: [key.did] })).toMatchObject({
      ok: true,
      verified: end,
      head: report.head,
    });

    const found: AuditMatch[] = await collect(
      await queryStore({ nc, mesh, store, agent: bob.did, conversation: "conv-1" }),
    );
    // 3 messages to bob, and bob's receipts for them (receipts carry the conversation they answer).
    expect(found.filter((m) => m.envelope?.from === alice.did)).toHaveLength(3);
    for (const m of found) expect(m.hash).toBe((await store.link(m.n))?.hash);
    expect(
      await collect(await queryStore({ nc, mesh, store, agent: bob.did, type: "acp.message", limit: 2 })),
    ).toHaveLength(2);
  });
});
