import { afterEach, describe, expect, it } from "vitest";
import { useTestServer } from "@plexus/testing";
import { isPlexusError, type Delivery } from "../src/index.js";
import { agentFactory, deferred, freshMesh, until } from "./helpers.js";

const nats = useTestServer();
const agents = agentFactory(() => nats.url);
afterEach(() => agents.close());

describe("direct messages", () => {
  it("reach an inbox that was offline when they were sent, with every field", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh);
    const sent = await alice.send(bob.did, { hello: "bob" }, { type: "greeting", conversation: "c-1" });
    expect(sent.streamSeq).toBeGreaterThan(0);
    expect(sent.seq).toBe(1);

    const got: Delivery[] = [];
    const sub = await bob.listen((d) => void got.push(d), { max: 1 });
    await sub.finished;
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      id: sent.id,
      from: alice.did,
      to: bob.did,
      type: "greeting",
      conversation: "c-1",
      body: { hello: "bob" },
      redelivered: false,
      attempt: 1,
    });
  });

  it("keep per-channel order: seq counts up and each envelope names the previous one", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh);
    for (let i = 0; i < 5; i++) await alice.send(bob.did, i);
    const got: Delivery[] = [];
    await (await bob.listen((d) => void got.push(d), { max: 5 })).finished;
    expect(got.map((d) => d.body)).toEqual([0, 1, 2, 3, 4]);
    expect(got.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(got.map((d) => d.order.status)).toEqual(["first-seen", "in-order", "in-order", "in-order", "in-order"]);
  });

  it("a restarted sender resumes its channel's chain from the stream", async () => {
    const mesh = freshMesh();
    const { generateKeyPair } = await import("@plexus/identity");
    const key = generateKeyPair();
    const bob = await agents.make(mesh);
    const first = await agents.make(mesh, { key });
    await first.send(bob.did, "one");
    await first.close();
    const again = await agents.make(mesh, { key });
    const sent = await again.send(bob.did, "two");
    expect(sent.seq).toBe(2);
    const got: Delivery[] = [];
    await (await bob.listen((d) => void got.push(d), { max: 2 })).finished;
    expect(got[1]!.order.status).toBe("in-order");
  });
});

describe("receipts", () => {
  it("a sender can await the processed receipt of each message", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh);
    await bob.listen(() => undefined);
    const results = await Promise.all([1, 2, 3].map((n) => alice.send(bob.did, n, { awaitReceipt: true })));
    for (const r of results) expect(r.receipt).toMatchObject({ id: r.id, status: "processed", by: bob.did });
  });

  it("a long handler yields a delivered receipt first, then processed", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh);
    const release = deferred();
    await bob.listen(() => release.promise);
    const sent = await alice.send(bob.did, "slow");
    const delivered = await alice.waitForReceipt(sent.id, { status: "delivered", timeoutMs: 5_000 });
    expect(delivered.status).toBe("delivered");
    release.resolve();
    const processed = await alice.waitForReceipt(sent.id, { status: "processed", timeoutMs: 5_000 });
    expect(processed.status).toBe("processed");
  });

  it("waiting for a receipt that never comes is a TIMEOUT error", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh);
    const sent = await alice.send(bob.did, "nobody listens");
    const err = await alice.waitForReceipt(sent.id, { timeoutMs: 300 }).catch((e) => e);
    expect(isPlexusError(err, "TIMEOUT")).toBe(true);
  });
});

describe("redelivery and dead letters", () => {
  it("a failing handler gets the message again, marked redelivered, then succeeds", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh, { backoffMs: [20] });
    const seen: Delivery[] = [];
    await bob.listen((d) => {
      seen.push(d);
      if (seen.length < 3) throw new Error("not yet");
    });
    const sent = await alice.send(bob.did, "flaky", { awaitReceipt: true, receiptTimeoutMs: 10_000 });
    expect(sent.receipt?.status).toBe("processed");
    expect(seen.map((d) => [d.id, d.attempt, d.redelivered])).toEqual([
      [sent.id, 1, false],
      [sent.id, 2, true],
      [sent.id, 3, true],
    ]);
  });

  it("after maxAttempts the message is dead-lettered and the sender gets a failed receipt", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh, { maxAttempts: 3, backoffMs: [10] });
    let calls = 0;
    await bob.listen(() => {
      calls++;
      throw new Error("cannot handle this");
    });
    const sent = await alice.send(bob.did, "poison", { awaitReceipt: true, receiptTimeoutMs: 10_000 });
    expect(sent.receipt).toMatchObject({ status: "failed", reason: "cannot handle this", attempts: 3 });
    expect(calls).toBe(3);
    const dead = await bob.deadLetters();
    expect(dead.total).toBe(1);
    expect(dead.records[0]).toMatchObject({ reason: "cannot handle this", attempts: 3, envelope: { id: sent.id } });
    expect(bob.stats().deadLettered).toBe(1);
  });
});

describe("slow handlers", () => {
  it("a handler that outlives the ack wait, and the messages queued behind it, are not redelivered meanwhile", {
    timeout: 20_000,
  }, async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh);
    const bob = await agents.make(mesh, { ackWaitMs: 1_000 });
    for (let i = 0; i < 3; i++) await alice.send(bob.did, i);
    const seen: [unknown, number][] = [];
    const sub = await bob.listen(async (d) => {
      seen.push([d.body, d.attempt]);
      if (d.body === 0) await new Promise((r) => setTimeout(r, 2_500));
    });
    await until(() => seen.length >= 3, 10_000, "three messages");
    await new Promise((r) => setTimeout(r, 1_500));
    await sub.stop();
    expect(seen).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
  });
});

describe("topics", () => {
  it("fan out to every subscription, and to exactly one member of a group", async () => {
    const mesh = freshMesh();
    const pub = await agents.make(mesh);
    const [s1, s2, g1, g2] = await Promise.all([1, 2, 3, 4].map(() => agents.make(mesh)));
    const got = { s1: [] as unknown[], s2: [] as unknown[], g1: [] as unknown[], g2: [] as unknown[] };
    await s1!.subscribe("news", (d) => void got.s1.push(d.body));
    await s2!.subscribe("news", (d) => void got.s2.push(d.body));
    await g1!.subscribe("news", (d) => void got.g1.push(d.body), { group: "workers" });
    await g2!.subscribe("news", (d) => void got.g2.push(d.body), { group: "workers" });
    const n = 40;
    for (let i = 0; i < n; i++) await pub.publish("news", i);
    await until(
      () => got.s1.length === n && got.s2.length === n && got.g1.length + got.g2.length === n,
      10_000,
      "all topic messages",
    );
    expect(got.s1).toEqual([...Array(n).keys()]);
    expect(got.s2).toEqual([...Array(n).keys()]);
    expect([...got.g1, ...got.g2].sort((a, b) => (a as number) - (b as number))).toEqual([...Array(n).keys()]);
  });

  it("a durable subscription receives what was published while it was away", async () => {
    const mesh = freshMesh();
    const pub = await agents.make(mesh);
    const { generateKeyPair } = await import("@plexus/identity");
    const key = generateKeyPair();
    const sub1 = await agents.make(mesh, { key });
    const first: unknown[] = [];
    await sub1.subscribe("alerts", (d) => void first.push(d.body), { max: 1 });
    await pub.publish("alerts", "a");
    await until(() => first.length === 1, 5_000, "first alert");
    await sub1.close();
    await pub.publish("alerts", "b");
    await pub.publish("alerts", "c");
    const sub2 = await agents.make(mesh, { key });
    const later: unknown[] = [];
    await (await sub2.subscribe("alerts", (d) => void later.push(d.body), { max: 2 })).finished;
    expect(later).toEqual(["b", "c"]);
  });
});

describe("request/reply", () => {
  it("resolves with the reply in the same conversation", async () => {
    const mesh = freshMesh();
    const client = await agents.make(mesh);
    const server = await agents.make(mesh);
    await server.listen(async (d) => {
      await server.reply(d, { echo: d.body });
    });
    const reply = await client.request(server.did, "ping", { timeoutMs: 5_000 });
    expect(reply.body).toEqual({ echo: "ping" });
    expect(reply.from).toBe(server.did);
    expect(reply.replyTo).toBeDefined();
    expect(reply.conversation).toBeDefined();
  });

  it("times out with a clear TIMEOUT error", async () => {
    const mesh = freshMesh();
    const client = await agents.make(mesh);
    const silent = await agents.make(mesh);
    const err = await client.request(silent.did, "anyone?", { timeoutMs: 300 }).catch((e) => e);
    expect(isPlexusError(err, "TIMEOUT")).toBe(true);
    expect(String(err.message)).toMatch(/no reply from did:key:.* within 300 ms/);
  });
});
