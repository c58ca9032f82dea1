import { jetstream } from "@nats-io/jetstream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { agentToken, meshSubjects, newId, type Envelope, type UnsignedEnvelope } from "@plexus/core";
import { generateKeyPair, signEnvelope, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Agent, Delivery } from "../src/index.js";
import { agentFactory, freshMesh, until } from "./helpers.js";

const nats = useTestServer();
const agents = agentFactory(() => nats.url);
let raw: NatsConnection;
beforeAll(async () => {
  raw = await connectBus({ servers: nats.url });
});
afterAll(() => raw?.close());
afterEach(() => agents.close());

const encoder = new TextEncoder();

function envelopeFrom(key: KeyPair, to: string, seq: number, extra: Partial<UnsignedEnvelope> = {}): UnsignedEnvelope {
  return { v: 1, id: newId(), from: key.did, to, type: "acp.message", body: { n: seq }, ts: Date.now(), seq, ...extra };
}

/** Publishes bytes on an inbox subject the way a hostile or broken client could, bypassing the SDK. */
async function inject(mesh: string, to: string, fromToken: string, data: Uint8Array | string): Promise<void> {
  const subject = meshSubjects(mesh).message("inbox", agentToken(to), fromToken);
  await jetstream(raw).publish(subject, typeof data === "string" ? encoder.encode(data) : data, { msgID: newId() });
}

interface Setup {
  mesh: string;
  bob: Agent;
  mallory: KeyPair;
  got: Delivery[];
}

async function setup(extra: { maxEnvelopeBytes?: number } = {}): Promise<Setup> {
  const mesh = freshMesh();
  const bob = await agents.make(mesh, extra);
  const got: Delivery[] = [];
  await bob.listen((d) => void got.push(d));
  return { mesh, bob, mallory: generateKeyPair(), got };
}

/** After the bad input, a good message still arrives: the consumer went on. */
async function expectRejected(s: Setup, reason: string, count = 1): Promise<void> {
  const good = signEnvelope(envelopeFrom(s.mallory, s.bob.did, 1_000_000), s.mallory).envelope;
  await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(good));
  await until(() => s.got.some((d) => d.id === good.id), 10_000, "the good message after the bad one");
  expect(s.got.filter((d) => d.id !== good.id)).toEqual([]);
  expect(s.bob.stats().rejected[reason as keyof ReturnType<Agent["stats"]>["rejected"]]).toBe(count);
  const listed = await s.bob.rejected();
  expect(listed.records.map((r) => r.reason)).toEqual(Array(count).fill(reason));
  expect(listed.records[0]).toMatchObject({ consumer: s.bob.did });
  expect(listed.records[0]!.detail.length).toBeGreaterThan(0);
}

describe("rejection, never a crash", () => {
  it("malformed JSON", async () => {
    const s = await setup();
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), "{not json");
    await expectRejected(s, "malformed_json");
  });

  it("schema-invalid envelope (no type, unknown field)", async () => {
    const s = await setup();
    const { type: _t, ...noType } = envelopeFrom(s.mallory, s.bob.did, 1);
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify({ ...noType, sig: "A".repeat(86) }));
    const extra = signEnvelope(
      { ...envelopeFrom(s.mallory, s.bob.did, 2), ...({ admin: true } as object) },
      s.mallory,
    ).envelope;
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(extra));
    await expectRejected(s, "schema_invalid", 2);
  });

  it("oversized envelope", async () => {
    const s = await setup({ maxEnvelopeBytes: 2048 });
    const big = signEnvelope(envelopeFrom(s.mallory, s.bob.did, 1, { body: "x".repeat(4096) }), s.mallory).envelope;
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(big));
    await expectRejected(s, "oversized");
    const listed = await s.bob.rejected();
    expect(listed.records[0]!.size).toBeGreaterThan(4096);
  });

  it("unsigned envelope", async () => {
    const s = await setup();
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(envelopeFrom(s.mallory, s.bob.did, 1)));
    await expectRejected(s, "unsigned");
  });

  it("wrongly signed: another key's signature, and a body changed after signing", async () => {
    const s = await setup();
    const alice = generateKeyPair();
    const forged = signEnvelope(envelopeFrom(alice, s.bob.did, 1), s.mallory).envelope;
    await inject(s.mesh, s.bob.did, agentToken(alice.did), JSON.stringify(forged));
    const tampered: Envelope = {
      ...signEnvelope(envelopeFrom(s.mallory, s.bob.did, 2), s.mallory).envelope,
      body: { n: 999 },
    };
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(tampered));
    await expectRejected(s, "bad_signature", 2);
  });

  it("a from that does not match the subject", async () => {
    const s = await setup();
    const alice = generateKeyPair();
    const alices = signEnvelope(envelopeFrom(alice, s.bob.did, 1), alice).envelope;
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(alices));
    await expectRejected(s, "subject_mismatch");
  });

  it("a replayed envelope (the same signed bytes stored again)", async () => {
    const s = await setup();
    const once = JSON.stringify(signEnvelope(envelopeFrom(s.mallory, s.bob.did, 1), s.mallory).envelope);
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), once);
    await until(() => s.got.length === 1, 10_000, "the original");
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), once);
    const good = signEnvelope(envelopeFrom(s.mallory, s.bob.did, 2), s.mallory).envelope;
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(good));
    await until(() => s.got.some((d) => d.id === good.id), 10_000, "the next good message");
    expect(s.got).toHaveLength(2);
    expect(s.bob.stats().rejected.replay).toBe(1);
    expect((await s.bob.rejected()).records.map((r) => r.reason)).toEqual(["replay"]);
  });

  it("a stale envelope (signed long ago, stored now)", async () => {
    const s = await setup();
    const old = signEnvelope(
      envelopeFrom(s.mallory, s.bob.did, 1, { ts: Date.now() - 10 * 60_000 }),
      s.mallory,
    ).envelope;
    await inject(s.mesh, s.bob.did, agentToken(s.mallory.did), JSON.stringify(old));
    await expectRejected(s, "stale");
  });

  it("a sender cannot send an oversized envelope: a clear ENVELOPE_TOO_LARGE error, nothing stored", async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh, { maxEnvelopeBytes: 1024 });
    const bob = await agents.make(mesh);
    const err = await alice.send(bob.did, "y".repeat(2048)).catch((e) => e);
    expect(err.code).toBe("ENVELOPE_TOO_LARGE");
  });
});
