/**
 * A storm of hostile messages from an ordinary member (its own key and user JWT, NATS operator mode) at every reader an
 * agent runs: its inbox listener, its reply and receipt taps, a topic subscription, and the mesh's record listings.
 * The messages come from fast-check generators (@plexus/testing hostile.ts): deep, wide, huge, truncated, mis-encoded,
 * unsigned, schema-invalid, mis-signed, re-signed, stale, wrong-subject, replayed, and junk records.
 *
 * Asserted: no handler sees any of them; each gets exactly one rejection record, with the reason its kind calls for;
 * no message is redelivered in a loop (the reader's counters equal the number sent); legitimate traffic sent during
 * the storm is all delivered; the taps still serve requests and receipts afterwards; the listings still work and
 * show the junk apart. FC_SEED and HOSTILE_RUNS make a run reproducible and bigger.
 */
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { listRecords } from "@plexus/acp/internal";
import { ensureMeshStream } from "@plexus/bus";
import {
  agentToken,
  Defaults,
  MessageKind,
  meshSubjects,
  newId,
  validateRejectionRecord,
  type MeshSubjects,
} from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { hostileMessages, junkRecords, validEnvelope, type HostileContext } from "@plexus/testing/internal";
// Test-only: in operator mode topic durables are the registry's to make.
import { startRegistryNode } from "@plexus/registry";
import { Agent, listDeadLetters, listRejected, type Delivery } from "@plexus/sdk";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.HOSTILE_RUNS ?? 40);

interface Member {
  key: KeyPair;
  nc: NatsConnection;
  agent: Agent;
}

async function member(mesh: string, ackWaitMs?: number): Promise<Member> {
  const key = generateKeyPair();
  const nc = await nats.server.auth.connectAgent(mesh, key);
  closers.push(() => nc.close());
  const agent = await Agent.connect({ key, nats: nc, mesh, ...(ackWaitMs !== undefined ? { ackWaitMs } : {}) });
  closers.push(() => agent.close());
  return { key, nc, agent };
}

/** The mesh's streams and a registry node (it makes topic durables in operator mode); returns a service connection. */
async function meshWithRegistry(mesh: string): Promise<NatsConnection> {
  const service = await nats.server.auth.connectService(mesh);
  closers.push(() => service.close());
  await ensureMeshStream(service, mesh);
  const registry = await startRegistryNode({
    nats: nats.url,
    mesh,
    key: generateKeyPair(),
    http: false,
    refreshMs: 0,
    natsAuth: await nats.server.auth.mesh(mesh),
  });
  closers.push(() => registry.stop());
  return service;
}

/** Publishes the bytes as the hostile member; returns the stream position they were stored at. */
async function inject(js: JetStreamClient, subject: string, data: Uint8Array): Promise<number> {
  return (await js.publish(subject, data, { msgID: newId() })).seq;
}

describe(`a storm of hostile messages (seed ${seed}, ${runs} per reader)`, () => {
  it("is refused message by message, with one record each, while legitimate traffic flows", async () => {
    const mesh = "storm";
    const s: MeshSubjects = meshSubjects(mesh);
    const service = await meshWithRegistry(mesh);

    const victim = await member(mesh);
    const honest = await member(mesh);
    const hostile = await member(mesh);
    const v = agentToken(victim.key.did);
    const m = agentToken(hostile.key.did);

    const inbox: Delivery[] = [];
    await victim.agent.listen((d) => void inbox.push(d));
    const news: Delivery[] = [];
    await victim.agent.subscribe("news", (d) => void news.push(d));
    await honest.agent.listen(async (d) => {
      if (d.type === "ping") await honest.agent.reply(d, { pong: d.body });
    });
    // The victim's reply and receipt taps are running before the storm starts.
    expect((await victim.agent.request(honest.key.did, "warm-up", { type: "ping" })).body).toEqual({ pong: "warm-up" });
    await victim.agent.send(honest.key.did, "warm-up", { awaitReceipt: true });

    const base = { key: hostile.key, other: honest.key.did, maxEnvelopeBytes: Defaults.maxEnvelopeBytes };
    const families: [string, HostileContext, string][] = [
      ["inbox", { ...base, to: victim.key.did }, s.message(MessageKind.Inbox, v, m)],
      ["topic", { ...base, topic: "news" }, s.message(MessageKind.Topic, "news", m)],
      [
        "reply",
        { ...base, to: victim.key.did, type: "acp.reply", replyTo: newId() },
        s.message(MessageKind.Reply, v, m),
      ],
      ["receipt", { ...base, to: victim.key.did, type: "acp.receipt" }, s.message(MessageKind.Receipt, v, m)],
    ];
    const js = jetstream(hostile.nc);
    // By mesh stream position: topic durables read a copy (the topic stream, operator mode), but a record names where
    // the message is kept for good, its place in the log.
    const expected = new Map<number, { family: string; label: string; reason: string }>();

    // Legitimate traffic during the storm.
    const legit = (async () => {
      for (let i = 0; i < 20; i++) {
        await honest.agent.send(victim.key.did, { legit: i });
        await honest.agent.publish("news", { legit: i });
      }
    })();

    for (const [family, ctx, subject] of families) {
      for (const msg of fc.sample(hostileMessages(ctx), { numRuns: runs, seed })) {
        expected.set(await inject(js, subject, msg.data), { family, label: msg.label, reason: msg.reason });
      }
    }
    // Replays: an envelope the hostile member really sent, stored again under a new message id.
    const original = validEnvelope({ ...base, to: victim.key.did }, { original: true }, { seq: 1 }).data;
    await inject(js, s.message(MessageKind.Inbox, v, m), original);
    for (let i = 0; i < 5; i++)
      expected.set(await inject(js, s.message(MessageKind.Inbox, v, m), original), {
        family: "inbox",
        label: "replay",
        reason: "replay",
      });
    // Junk on the hostile member's own record subjects: the listings must survive it.
    const junk: number[] = [];
    for (const data of fc.sample(junkRecords(), { numRuns: 10, seed })) {
      junk.push(await inject(js, s.rejected(m), data));
      junk.push(await inject(js, s.dead(m), data));
    }
    await legit;

    const records = async () =>
      (await listRecords(service, s, s.rejected(v), validateRejectionRecord, { limit: 100_000 })).records;
    const hostileCount = expected.size;
    await until(async () => (await records()).length >= hostileCount, 30_000, `${hostileCount} rejection records`);
    await until(() => inbox.length === 21 && news.length === 20, 15_000, "legitimate messages delivered");

    // One record per hostile message, at its position, with the reason its kind calls for.
    const got = await records();
    expect(got.filter((r) => r.stream !== s.stream)).toEqual([]);
    const wrong = got.flatMap((r) => {
      const e = expected.get(r.streamSeq);
      return e && e.reason === r.reason
        ? []
        : [`#${r.streamSeq} ${e?.family} ${e?.label}: expected ${e?.reason}, got ${r.reason} (${r.detail})`];
    });
    expect(wrong).toEqual([]);
    expect(new Set(got.map((r) => r.streamSeq)).size).toBe(got.length);
    expect(got.length).toBe(expected.size);

    // Handlers saw only what was legitimate: the honest member's messages and the replayed envelope's original.
    expect(inbox.filter((d) => d.from === hostile.key.did).map((d) => d.body)).toEqual([{ original: true }]);
    expect(inbox.filter((d) => d.from === honest.key.did).map((d) => d.body)).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ legit: i })),
    );
    expect(news.map((d) => d.body)).toEqual(Array.from({ length: 20 }, (_, i) => ({ legit: i })));
    expect(inbox.every((d) => !d.redelivered)).toBe(true);

    // No redelivery loop: each message was refused once, and nothing keeps coming back.
    const stats = victim.agent.stats();
    expect(stats.rejectedTotal).toBe(hostileCount);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(victim.agent.stats().rejectedTotal).toBe(hostileCount);
    expect((await records()).length).toBe(hostileCount);

    // The taps still serve: a request gets its reply, a send its receipt.
    expect((await victim.agent.request(honest.key.did, "after", { type: "ping" })).body).toEqual({ pong: "after" });
    expect((await victim.agent.send(honest.key.did, "after", { awaitReceipt: true })).receipt?.status).toBe(
      "processed",
    );

    // The mesh's listings work and show the junk apart, never as records.
    const credentials = { creds: (await nats.server.auth.mesh(mesh)).serviceCreds };
    const rejected = await listRejected({ nats: nats.url, mesh, credentials, limit: 100_000 });
    expect(rejected.records.length).toBe(hostileCount);
    const dead = await listDeadLetters({ nats: nats.url, mesh, credentials, limit: 100_000 });
    expect(dead.records).toEqual([]);
    expect([...rejected.invalid, ...dead.invalid].map((x) => x.position).sort((a, b) => a - b)).toEqual(junk);
  }, 120_000);

  it("an id copied off a topic into another member's message does not make the real message a replay", async () => {
    const mesh = "copycat";
    await meshWithRegistry(mesh);
    // A 1 s ack wait: the stopped subscription's last pull may have taken the message, which then comes back after it.
    const victim = await member(mesh, 1_000);
    const honest = await member(mesh);
    const hostile = await member(mesh);
    const news: Delivery[] = [];
    const inbox: Delivery[] = [];
    await victim.agent.listen((d) => void inbox.push(d));
    // The victim's topic durable exists, but it is away when the honest member publishes.
    await (await victim.agent.subscribe("news", () => undefined)).stop();
    const live = hostile.nc.subscribe(`plexus.${mesh}.acp.topic.news.*`, { max: 1 });
    const published = await honest.agent.publish("news", "real news");
    const seen = await (async () => {
      for await (const m of live) return JSON.parse(m.string()) as { id: string };
      throw new Error("the hostile member saw no topic message");
    })();
    expect(seen.id).toBe(published.id);
    // The hostile member stores an envelope of its own with that id in the victim's inbox, first.
    const copy = validEnvelope(
      { key: hostile.key, to: victim.key.did, other: honest.key.did, maxEnvelopeBytes: Defaults.maxEnvelopeBytes },
      "copied id",
      { id: seen.id },
    );
    await inject(
      jetstream(hostile.nc),
      meshSubjects(mesh).message(MessageKind.Inbox, agentToken(victim.key.did), agentToken(hostile.key.did)),
      copy.data,
    );
    await until(() => inbox.length === 1, 10_000, "the copy in the inbox");
    // Back on the topic: the real message is delivered, not refused as a replay.
    await victim.agent.subscribe("news", (d) => void news.push(d));
    await until(() => news.length === 1, 10_000, "the real topic message");
    expect(news[0]).toMatchObject({ id: published.id, from: honest.key.did, body: "real news" });
    expect(victim.agent.stats().rejectedTotal).toBe(0);
  }, 60_000);
});
