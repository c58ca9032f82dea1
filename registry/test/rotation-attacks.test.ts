/**
 * Attacks on the rotation cut-off, the SDK readers' RotationWatch and the revoke rules, on an open server (from the
 * adversarial review of issue 16; each was a failing test before its fix). Each test states the property it holds.
 */
import { headers as natsHeaders } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import {
  encodeEvent,
  makeEvent,
  makeRotation,
  signRequest,
  type Rotation,
  type SignedRequest,
} from "@plexus/anp/internal";
import { connectBus } from "@plexus/bus";
import { agentToken, MessageKind, meshSubjects, RejectionReason } from "@plexus/core";
import { generateKeyPair, issueCapabilityCredential } from "@plexus/identity";
import type { Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import { validEnvelope } from "@plexus/testing/internal";
import { MAX_KEY_ROTATIONS } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("attacks on the rotation cut-off (open server)", () => {
  it("an envelope signed by a rotated-away key, published with a forged Nats-Stream-Source header, is still refused by SDK readers", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const bKey = generateKeyPair();
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), b.join(card("b")), c.join(card("c"))]);
    const moved = await a.registry.rotate(bKey, generateKeyPair());

    // The thief holding the old key publishes to c on an open server, claiming (by header) the log position 1.
    const s = meshSubjects(mesh);
    const nc = await connectBus({ servers: nats.url });
    try {
      const { data } = validEnvelope(
        { key: bKey, to: c.did, other: a.did, maxEnvelopeBytes: 64 * 1024 },
        { stolen: true },
        { conversation: "thief" },
      );
      const h = natsHeaders();
      h.set("Nats-Stream-Source", `${s.stream} 1 > >`);
      const ack = await jetstream(nc).publish(
        s.message(MessageKind.Inbox, agentToken(c.did), agentToken(bKey.did)),
        data,
        { headers: h },
      );
      expect(ack.seq).toBeGreaterThan(moved.seq);

      const got: Delivery[] = [];
      await c.listen(async (d) => void got.push(d));
      // The registry's own verdict (log order) refuses it...
      await until(
        () => (node.state.counters[`evidence.refusedMessages.${RejectionReason.RotatedKey}`] ?? 0) === 1,
        5_000,
        "the registry's verdict",
      );
      // ...and so must c's reader: a rejection record rotated_key, and nothing handed to the handler.
      await until(
        async () => got.length > 0 || (await c.rejected()).records.some((r) => r.reason === RejectionReason.RotatedKey),
        8_000,
        "c's verdict",
      );
      expect(got.map((d) => d.body)).toEqual([]);
    } finally {
      await nc.close();
    }
  });

  it("a rotation request the registry refused, captured and republished as a KeyRotated event by anyone, does not cut the agent off in SDK readers", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const aKey = generateKeyPair();
    const taken = generateKeyPair();
    const [a, c, other] = await Promise.all([kit.agent(mesh, aKey), kit.agent(mesh), kit.agent(mesh, taken)]);
    await Promise.all([a.join(card("a")), c.join(card("c")), other.join(card("other"))]);
    const s = meshSubjects(mesh);

    // An eavesdropper on the open server reads the registry's request subjects (core NATS, anyone may subscribe).
    const spy = await connectBus({ servers: nats.url });
    try {
      const captured: SignedRequest<Rotation>[] = [];
      const sub = spy.subscribe(s.registryService("rotate"), {
        callback: (_e, m) => void captured.push(m.json<SignedRequest<Rotation>>()),
      });
      await spy.flush();
      // a's rotation to a key the mesh already knows is refused: a keeps its key, the registry says so.
      await expect(a.registry.rotate(aKey, taken)).rejects.toMatchObject({ details: { reason: "rotation_invalid" } });
      await until(() => captured.length === 1, 5_000, "the captured request");
      sub.unsubscribe();
      expect(node.state.identity.rotations.has(aKey.did)).toBe(false);

      // The eavesdropper wraps the refused request in a KeyRotated event signed by any key of its own.
      const forged = makeEvent(generateKeyPair(), "KeyRotated", aKey.did, { to: taken.did, request: captured[0]! });
      await jetstream(spy).publish(s.registryEvent("KeyRotated", agentToken(aKey.did)), encodeEvent(forged));
    } finally {
      await spy.close();
    }

    // a, still the registry's member under its only key, writes to c: c must take it.
    const sent = await a.send(c.did, { hello: "still me" }, { conversation: "ac" });
    const got: Delivery[] = [];
    await c.listen(async (d) => void got.push(d));
    await until(
      async () => got.length > 0 || (await c.rejected()).records.some((r) => r.streamSeq === sent.streamSeq),
      8_000,
      "c's verdict",
    );
    expect((await c.rejected()).records.filter((r) => r.streamSeq === sent.streamSeq)).toEqual([]);
    expect(got.map((d) => d.id)).toEqual([sent.id]);
  });

  it("an issuer can revoke its unpresented credential ahead of time even when someone else recorded a credential with the same id", async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const issuer = generateKeyPair();
    const mallory = generateKeyPair();
    const [s1, m, iss] = await Promise.all([kit.agent(mesh), kit.agent(mesh, mallory), kit.agent(mesh, issuer)]);
    await Promise.all([s1.join(card("s1", ["translate"])), m.join(card("m", ["translate"]))]);
    // The issuer's credential for s1 (not presented yet; it leaked, say).
    const leaked = await issueCapabilityCredential(issuer, {
      subject: s1.did,
      capabilities: ["translate"],
      ttlMs: 3_600_000,
    });
    // Mallory, who saw the id, records a credential of her own with that id first.
    const squat = await issueCapabilityCredential(mallory, {
      subject: m.did,
      capabilities: ["translate"],
      ttlMs: 3_600_000,
      id: leaked.claims.id,
    });
    await m.presentCredential(squat.jwt);

    // The issuer revokes its own credential ahead of time, showing it: must be accepted.
    const revoked = await iss
      .revokeCredential(leaked.claims.id, "leaked", { credential: leaked.jwt })
      .catch((err: { details?: unknown }) => err.details);
    expect(revoked).toMatchObject({ revoked: true, issuer: issuer.did });
    // And s1 can then not present it.
    await expect(s1.presentCredential(leaked.jwt)).rejects.toMatchObject({ details: { reason: "credential_invalid" } });
  });

  it("revoking ahead of time a credential whose validity starts later (nbf in the future) is accepted", async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const issuer = generateKeyPair();
    const [s1, iss] = await Promise.all([kit.agent(mesh), kit.agent(mesh, issuer)]);
    await s1.join(card("s1", ["translate"]));
    const later = await issueCapabilityCredential(issuer, {
      subject: s1.did,
      capabilities: ["translate"],
      ttlMs: 3_600_000,
      issuedAt: Date.now() + 600_000,
    });
    const revoked = await iss
      .revokeCredential(later.claims.id, "leaked before it starts", { credential: later.jwt })
      .catch((err: { details?: unknown; message?: string }) => ({ refused: err.details, message: err.message }));
    expect(revoked).toMatchObject({ revoked: true, issuer: issuer.did });
  });

  it("A→B then B→A is refused by the registry, and readers keep taking B", async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const aKey = generateKeyPair();
    const bKey = generateKeyPair();
    const [a, c] = await Promise.all([kit.agent(mesh, aKey), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), c.join(card("c"))]);
    await c.registry.rotate(aKey, bKey);
    await expect(c.registry.rotate(bKey, aKey)).rejects.toMatchObject({ details: { reason: "rotation_invalid" } });
    const b = await kit.agent(mesh, bKey);
    await b.join(card("a"));
    await sleep(100);
    const sent = await b.send(c.did, { hi: 1 }, { conversation: "bc" });
    const got: Delivery[] = [];
    await c.listen(async (d) => void got.push(d));
    await until(() => got.length === 1, 8_000, "b's message");
    expect(got[0]!.id).toBe(sent.id);
  });
});

describe("flooding the rotation watch (open server)", () => {
  it("thousands of forged self-proving rotations neither fill the watch nor hide a real rotation logged after them", {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const s = meshSubjects(mesh);
    const bKey = generateKeyPair();
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), b.join(card("b")), c.join(card("c"))]);
    const flooder = await connectBus({ servers: nats.url });
    try {
      const js = jetstream(flooder);
      const to = generateKeyPair();
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < 2_000; i++) {
        // Each proves itself (the old key signed, the new key proved) but is signed by a key no reader trusts.
        const from = generateKeyPair();
        const request = signRequest(from, "rotate", mesh, "x", makeRotation(from, to, "x")) as SignedRequest<Rotation>;
        batch.push(
          js.publish(
            s.registryEvent("KeyRotated", agentToken(from.did)),
            encodeEvent(makeEvent(from, "KeyRotated", from.did, { to: to.did, request })),
          ),
        );
        // And a copy of a real-looking event for b, published before b's real rotation, signed by a stranger.
        if (i % 500 === 0) {
          const forged = signRequest(bKey, "rotate", mesh, "x", makeRotation(bKey, to, "x")) as SignedRequest<Rotation>;
          batch.push(
            js.publish(
              s.registryEvent("KeyRotated", agentToken(bKey.did)),
              encodeEvent(makeEvent(generateKeyPair(), "KeyRotated", bKey.did, { to: to.did, request: forged })),
            ),
          );
        }
        if (batch.length >= 500) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
    } finally {
      await flooder.close();
    }
    const early = await b.send(c.did, { n: "before" }, { conversation: "bc" });
    const moved = await a.registry.rotate(bKey, generateKeyPair());
    const late = await b.send(c.did, { n: "after" }, { conversation: "bc" });
    expect(late.streamSeq).toBeGreaterThan(moved.seq);
    const got: Delivery[] = [];
    await c.listen(async (d) => void got.push(d));
    await until(
      async () => (await c.rejected()).records.some((r) => r.streamSeq === late.streamSeq),
      30_000,
      "c's verdict on the late message",
    );
    expect((await c.rejected()).records.find((r) => r.streamSeq === late.streamSeq)).toMatchObject({
      reason: RejectionReason.RotatedKey,
    });
    await until(() => got.length === 1, 10_000, "the message sent before the rotation");
    expect(got[0]!.id).toBe(early.id);
  });
});

describe("a retired registry key (rotated away, maybe because it leaked)", () => {
  it("the old registry key can no longer revoke others' credentials or memberships after RegistryKeyRotated", async () => {
    const { connect } = await import("@nats-io/transport-node");
    const { rotateRegistryKey } = await import("../src/index.js");
    const mesh = freshMesh();
    const oldKey = kit.registryKey;
    const first = await kit.node(mesh);
    const issuer = generateKeyPair();
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh)]);
    await Promise.all([a.join(card("a", ["translate"])), b.join(card("b", ["translate"]))]);
    const cred = await issueCapabilityCredential(issuer, {
      subject: b.did,
      capabilities: ["translate"],
      ttlMs: 3_600_000,
    });
    await b.presentCredential(cred.jwt);
    const newKey = generateKeyPair();
    const nc = await connect({ servers: nats.url });
    try {
      const rotation = await rotateRegistryKey(nc, mesh, oldKey, newKey);
      await first.waitFor(rotation.seq);
    } finally {
      await nc.close();
    }
    await first.stop();
    kit.forget(first);
    const second = await kit.node(mesh, { key: newKey });
    expect(second.did).toBe(newKey.did);

    // The thief holding the retired key revokes b's capability credential and b's membership credential.
    const membershipId = second.state.credentials.membership(b.did)!.id;
    const capability = await a.registry.revoke(oldKey, cred.claims.id, "thief").then(
      (r) => r,
      (err: { details?: unknown }) => err.details,
    );
    const membership = await a.registry.revoke(oldKey, membershipId, "thief").then(
      (r) => r,
      (err: { details?: unknown }) => err.details,
    );
    expect({ capability, membership }).toMatchObject({
      capability: { reason: expect.any(String) },
      membership: { reason: expect.any(String) },
    });
    expect(second.state.credentials.isRevoked(issuer.did, cred.claims.id)).toBe(false);
  });
});

describe("rotation is no way out of a rating", () => {
  it("a counterpart can still rate an agent about a conversation held before the agent rotated its key", async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const bKey = generateKeyPair();
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey)]);
    await Promise.all([a.join(card("a")), b.join(card("b"))]);
    const sent = await a.send(b.did, { ask: "job" }, { conversation: "job" });
    await b.reply({ from: a.did, id: sent.id, conversation: "job" } as Delivery, { answer: "bad work" });
    // b, expecting a bad rating, rotates its key first.
    const newKey = generateKeyPair();
    await b.registry.rotate(bKey, newKey);
    // a rates the agent (now known as newKey.did) about the conversation it really had with it.
    const byNew = await a.rate({ ratee: newKey.did, conversation: "job", score: 0, factor: "quality" }).then(
      (r) => r,
      (err: { details?: unknown }) => err.details,
    );
    const byOld = await a.rate({ ratee: bKey.did, conversation: "job", score: 0, factor: "quality" }).then(
      (r) => r,
      (err: { details?: unknown }) => err.details,
    );
    expect(
      [byNew, byOld].some((r) => typeof (r as { seq?: unknown }).seq === "number"),
      JSON.stringify({ byNew, byOld }),
    ).toBe(true);
  });
});

describe("long DID chains", () => {
  it("an identity rotates at most MAX_KEY_ROTATIONS times; suspending it by its first DID cuts off its current key", {
    timeout: 120_000,
  }, async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const first = generateKeyPair();
    const a = await kit.agent(mesh, first);
    await a.join(card("a"));
    let key = first;
    for (let i = 0; i < MAX_KEY_ROTATIONS; i++) {
      const next = generateKeyPair();
      await a.registry.rotate(key, next);
      key = next;
    }
    expect(node.state.agents.has(key.did)).toBe(true);
    await expect(a.registry.rotate(key, generateKeyPair())).rejects.toMatchObject({
      details: { reason: "rotation_invalid" },
    });
    // An operator (the registry's key) suspends the agent by the DID it knew it by.
    const answer = await a.registry.suspend(kit.registryKey, first.did, "abuse");
    expect(answer.agent).toBe(key.did);
    expect(node.state.identity.suspended.has(key.did)).toBe(true);
  });
});
