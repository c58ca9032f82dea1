/**
 * A receiver's memory across restarts (issue 11, finding 3), deterministic: the restart is a new Agent (the reader's
 * memory is in RAM, so a new Agent knows only what it reads back from the stream), and "the server forgot the
 * consumer's state" is the inbox durable deleted and made again from the start of the stream, which is what a
 * rewound consumer looks like to a reader. The crash rounds with real SIGKILLs are in crash-rounds.test.ts.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { readdirSync, rmSync } from "node:fs";
import { join, sep } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { consumerNameKey } from "@plexus/acp";
import { secretName } from "@plexus/acp/internal";
import { agentToken, MessageType, meshSubjects, newId, type Envelope } from "@plexus/core";
import { generateKeyPair, signEnvelope, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { Agent, type Delivery } from "../src/index.js";
import { freshMesh, until } from "./helpers.js";

const nats = useTestServer();
const open: Agent[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((a) => a.close()));
});

async function agent(mesh: string, key: KeyPair): Promise<Agent> {
  const a = await Agent.connect({ key, nats: nats.url, mesh, ackWaitMs: 1_000 });
  open.push(a);
  return a;
}

/** Listens until `count` handler calls; returns them. */
async function handle(a: Agent, count: number): Promise<Delivery[]> {
  const got: Delivery[] = [];
  await a.listen((d) => void got.push(d));
  await until(() => got.length >= count, 20_000, `${count} deliveries`);
  return got;
}

/** A new Agent on the same key, its old one closed: what a restarted receiver process knows. */
async function restart(a: Agent, mesh: string, key: KeyPair): Promise<Agent> {
  await a.close();
  return agent(mesh, key);
}

/** Publishes raw bytes on a subject with a Nats-Msg-Id of our choosing (what a hostile re-publisher does). */
async function publishRaw(subject: string, envelope: Envelope, msgID: string): Promise<void> {
  const nc = await connect({ servers: nats.url });
  try {
    await jetstream(nc).publish(subject, JSON.stringify(envelope), { msgID });
  } finally {
    await nc.close();
  }
}

describe("a receiver's memory across restarts", () => {
  it("messages a stored receipt reports processed are not handed over again when the server forgot the consumer", {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    const aliceKey = generateKeyPair();
    const bobKey = generateKeyPair();
    const alice = await agent(mesh, aliceKey);
    let bob = await agent(mesh, bobKey);
    const sent = [];
    for (let i = 0; i < 50; i++) sent.push(await alice.send(bobKey.did, { i }));
    await handle(bob, 50);
    await alice.waitForReceipt(sent[49]!.id);
    await bob.close();

    // The server's consumer state rewinds to the start of the stream.
    const nc = await connect({ servers: nats.url });
    const seed = bobKey.exportSeed();
    const durable = `inbox_${secretName(consumerNameKey(seed, mesh), "inbox")}`;
    await (await jetstreamManager(nc)).consumers.delete(meshSubjects(mesh).stream, durable);
    await nc.close();
    for (let i = 50; i < 55; i++) sent.push(await alice.send(bobKey.did, { i }));

    bob = await agent(mesh, bobKey);
    const again = await handle(bob, 5);
    await alice.waitForReceipt(sent[54]!.id);
    // Only the five new ones reach the handler, as new; the fifty handled before are acked without it.
    expect(again.map((d) => d.id)).toEqual(sent.slice(50).map((s) => s.id));
    expect(again.every((d) => !d.redelivered)).toBe(true);
    // Settled, not mistaken for replays: no rejection records.
    expect(bob.stats().rejectedTotal).toBe(0);
    expect(bob.stats().settled).toBe(50);
    expect((await bob.rejected()).total).toBe(0);
  });

  it("nats-server restarting on its own with the consumer's state lost: what an earlier process handled is not handed over again", {
    timeout: 90_000,
  }, async () => {
    const mesh = freshMesh();
    const bobKey = generateKeyPair();
    const alice = await agent(mesh, generateKeyPair());
    // Two earlier processes of the receiver, twenty messages each (each one's receipts cover only what it handled).
    const sent = [];
    for (const round of [0, 1]) {
      const earlier = await agent(mesh, bobKey);
      for (let i = 0; i < 20; i++) sent.push(await alice.send(bobKey.did, { i: round * 20 + i }));
      await handle(earlier, 20);
      await alice.waitForReceipt(sent[sent.length - 1]!.id);
      await earlier.close();
    }
    // The receiver's next process reads its memory back from its consumer's ack floor: the first twenty's receipts are
    // stored below it.
    const bob = await agent(mesh, bobKey);
    const got: Delivery[] = [];
    await bob.listen((d) => void got.push(d));
    // The server dies alone and comes back without the consumer's state: the durable starts over from the beginning.
    await nats.server.kill();
    const stream = meshSubjects(mesh).stream;
    const states = readdirSync(nats.server.storeDir, { recursive: true, encoding: "utf8" }).filter(
      (f) => f.includes(`${stream}${sep}obs${sep}`) && f.endsWith("o.dat"),
    );
    expect(states.length).toBeGreaterThan(0);
    for (const f of states) rmSync(join(nats.server.storeDir, f));
    await nats.server.restart();
    let after: { id: string } | undefined;
    await until(
      async () => (after = await alice.send(bobKey.did, { after: true }).catch(() => undefined)) !== undefined,
      30_000,
      "a send after the restart",
    );
    await until(() => got.length >= 1, 30_000, "the message sent after the restart");
    await alice.waitForReceipt(after!.id);
    await new Promise((r) => setTimeout(r, 500));
    // The forty are acked without the handler (a receipt stored by the earlier process says so); only the new one arrives.
    expect(got.map((d) => d.body)).toEqual([{ after: true }]);
    expect(bob.stats().settled).toBe(40);
  });

  it("a message a stored receipt reports delivered (its handler had started) comes back marked redelivered", {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    const s = meshSubjects(mesh);
    const aliceKey = generateKeyPair();
    const bobKey = generateKeyPair();
    const alice = await agent(mesh, aliceKey);
    const sent = [
      await alice.send(bobKey.did, "started before the crash"),
      await alice.send(bobKey.did, "never started"),
    ];
    // What bob's previous process stored before it died: a receipt saying its handler was running on the first.
    const receipt = signEnvelope(
      {
        v: 1,
        id: newId(),
        from: bobKey.did,
        to: aliceKey.did,
        type: MessageType.Receipt,
        body: { delivered: [[sent[0]!.seq, sent[0]!.seq]], processed: [], failed: [] },
        ts: Date.now(),
        seq: 1,
      },
      bobKey,
    );
    await publishRaw(
      s.message("receipt", agentToken(aliceKey.did), agentToken(bobKey.did)),
      receipt.envelope,
      receipt.envelope.id,
    );

    const bob = await agent(mesh, bobKey);
    const got = await handle(bob, 2);
    expect(got.map((d) => [d.id, d.redelivered, d.attempt])).toEqual([
      [sent[0]!.id, true, 1],
      [sent[1]!.id, false, 1],
    ]);
  });

  it("a replay of a stored envelope under a new message id after a receiver restart is refused as a replay, with a record", {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    const s = meshSubjects(mesh);
    const aliceKey = generateKeyPair();
    const bobKey = generateKeyPair();
    const subject = s.message("inbox", agentToken(bobKey.did), agentToken(aliceKey.did));
    let bob = await agent(mesh, bobKey);
    const sign = (seq: number, prev?: string) =>
      signEnvelope(
        {
          v: 1,
          id: newId(),
          from: aliceKey.did,
          to: bobKey.did,
          type: "message",
          body: { seq },
          ts: Date.now(),
          seq,
          ...(prev ? { prev } : {}),
        },
        aliceKey,
      );
    const first = sign(1);
    const second = sign(2, first.hash);
    await publishRaw(subject, first.envelope, first.envelope.id);
    await publishRaw(subject, second.envelope, second.envelope.id);
    await handle(bob, 2);

    bob = await restart(bob, mesh, bobKey);
    // The same signed bytes stored again under another Nats-Msg-Id (not caught by the stream's dedupe), and the same
    // seq re-signed under a new envelope id (a forked channel); then one genuine new message.
    await publishRaw(subject, first.envelope, `replay-${newId()}`);
    const forked = sign(2, first.hash);
    await publishRaw(subject, forked.envelope, forked.envelope.id);
    const third = sign(3, second.hash);
    await publishRaw(subject, third.envelope, third.envelope.id);

    const got = await handle(bob, 1);
    await until(() => bob.stats().rejected.replay === 2, 10_000, "two replays refused");
    expect(got.map((d) => d.id)).toEqual([third.envelope.id]);
    expect(got[0]!.order.status).toBe("in-order");
    const records = (await bob.rejected()).records.filter((x) => x.consumer === bobKey.did);
    expect(records.map((r) => [r.reason, r.id])).toEqual([
      ["replay", first.envelope.id],
      ["replay", forked.envelope.id],
    ]);
  });
});
