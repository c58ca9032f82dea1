import { afterEach, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { RegistryClient } from "@plexus/anp";
import { RegistryOp, issueChallenge, signRequest } from "@plexus/anp/internal";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { generateKeyPair, publicKeyMultibase, verifyMembershipCredential } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isPlexusError(err, ErrorCode.RequestRefused)) return String(err.details?.reason);
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("join", () => {
  it("admits an agent with a signed card and answers with a membership credential", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const alice = await kit.agent(mesh);
    const joined = await alice.join(card("alice", ["translate"], { tags: ["lang"] }));
    expect(joined.did).toBe(alice.did);
    expect(joined.registry).toBe(node.did);
    const claims = await verifyMembershipCredential(joined.credential, new Set([node.did]));
    expect(claims).toMatchObject({ subject: alice.did, mesh, name: "alice", id: joined.credentialId });
    expect(claims.expiresAt).toBeGreaterThan(Date.now());

    const { result: agents } = await alice.registry.agents();
    expect(agents.map((a) => a.did)).toEqual([alice.did]);
    expect(agents[0]).toMatchObject({
      name: "alice",
      liveness: "alive",
      capabilities: ["translate"],
      tags: ["lang"],
      credential: { status: "valid" },
    });
    const { result: found } = await alice.discover({ capability: "translate" });
    expect(found.map((r) => r.did)).toEqual([alice.did]);
    expect(found[0]!.factors.reliability).toMatchObject({ value: 0.5, evidence: 0 });
    expect((await alice.discover({ capability: "summarize" })).result).toEqual([]);
  });

  it("updates the card, leaves, and rejoins, each as an event", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const bob = await kit.agent(mesh);
    await bob.join(card("bob", ["echo"]));
    await bob.updateCard(card("bob", ["echo", "summarize"]));
    expect((await bob.discover({ capability: "summarize" })).result.map((r) => r.did)).toEqual([bob.did]);
    await bob.leave();
    // Gone from the present agents; with all, listed as left (gone since it left), and so is its own record.
    expect((await bob.registry.agents()).result).toEqual([]);
    const [left] = (await bob.registry.agents({ all: true })).result;
    expect(left).toMatchObject({ did: bob.did, present: false, liveness: "gone", leftAt: expect.any(Number) });
    expect(left!.livenessSince).toBe(left!.leftAt);
    expect((await bob.registry.agent(bob.did)).result).toMatchObject({
      present: false,
      liveness: "gone",
      leftAt: left!.leftAt,
    });
    expect((await bob.discover({ capability: "echo" })).result).toEqual([]);
    await bob.join(card("bob", ["echo"]));
    expect((await bob.registry.agents()).result.map((a) => a.did)).toEqual([bob.did]);
    expect(node.state.counters).toMatchObject({
      "events.AgentJoined": 2,
      "events.AgentUpdated": 1,
      "events.AgentLeft": 1,
    });
  });

  it("renews the membership credential before it expires; tenure counts from the first join", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, { credentialTtlMs: 2_500 });
    const agent = await kit.agent(mesh);
    const first = await agent.join(card("renewing"));
    const firstJoinedAt = node.state.agents.get(agent.did)!.firstJoinedAt;
    await until(() => (node.state.counters["events.AgentJoined"] ?? 0) >= 2, 10_000, "a renewal");
    const record = node.state.agents.get(agent.did)!;
    expect(record.credential.id).not.toBe(first.credentialId);
    expect(record.credential.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(record.firstJoinedAt).toBe(firstJoinedAt);
    expect(record.joinedAt).toBeGreaterThan(firstJoinedAt);
    expect((await agent.registry.agent(agent.did)).result.credential.status).toBe("valid");
  });

  it("refuses a wrong signature, a replayed challenge, an invalid card, a DID that is not the key's, and an expired challenge", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, { challengeTtlMs: 1_000 });
    const nc = await connect({ servers: nats.url });
    try {
      const client = new RegistryClient(nc, mesh);
      const key = generateKeyPair();
      const other = generateKeyPair();

      const signed = signRequest(key, "join", mesh, await client.challenge(key.did), { card: card("mallory") });
      const tampered = { ...signed, body: { card: card("mallory", ["admin"]) } };
      expect(await refusal(client.call(RegistryOp.Join, tampered))).toBe("bad_signature");

      expect((await client.call<{ did: string }>(RegistryOp.Join, signed)).did).toBe(key.did);
      expect(await refusal(client.call(RegistryOp.Join, signed))).toBe("challenge_replayed");

      const badCard = signRequest(key, "join", mesh, await client.challenge(key.did), {
        card: { ...card("x"), capabilities: [] },
      });
      expect(await refusal(client.call(RegistryOp.Join, badCard))).toBe("card_invalid");
      const badSchema = signRequest(key, "join", mesh, await client.challenge(key.did), {
        card: card("x", ["echo"], { capabilities: [{ name: "echo", input: { type: 12 } }] }),
      });
      expect(await refusal(client.call(RegistryOp.Join, badSchema))).toBe("card_invalid");

      // Signed by `other`, claiming `key`'s DID while presenting `other`'s public key.
      const mismatch = signRequest(other, "join", mesh, await client.challenge(key.did), { card: card("eve") });
      expect(await refusal(client.call(RegistryOp.Join, { ...mismatch, did: key.did }))).toBe("did_key_mismatch");
      // The DID of the key, but a challenge issued to someone else.
      const stolen = signRequest(other, "join", mesh, await client.challenge(key.did), { card: card("eve") });
      expect(await refusal(client.call(RegistryOp.Join, stolen))).toBe("challenge_invalid");
      // A challenge this registry never issued.
      const forged = signRequest(other, "join", mesh, issueChallenge(generateKeyPair(), mesh, other.did), {
        card: card("eve"),
      });
      expect(await refusal(client.call(RegistryOp.Join, forged))).toBe("challenge_invalid");

      const late = await client.challenge(other.did);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(
        await refusal(client.call(RegistryOp.Join, signRequest(other, "join", mesh, late, { card: card("late") }))),
      ).toBe("challenge_expired");

      expect(
        await refusal(
          client.call(RegistryOp.Join, {
            op: "join",
            mesh,
            did: other.did,
            publicKey: publicKeyMultibase(other.publicKey),
          }),
        ),
      ).toBe("schema_invalid");
      await expect(client.call(RegistryOp.Join, "not an object")).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });

      // Every refusal was counted and kept in the log; the node still answers.
      const { result } = await client.agents();
      expect(result.map((a) => a.did)).toEqual([key.did]);
      await until(
        () => node.state.counters["refused.challenge_expired"] === 1,
        5_000,
        "the last refusal in the projection",
      );
      expect(node.state.counters["refused.bad_signature"]).toBe(1);
      expect(node.state.counters["refused.challenge_replayed"]).toBe(1);
      expect(node.state.counters["refused.card_invalid"]).toBe(2);
      expect(node.state.counters["refused.did_key_mismatch"]).toBe(1);
      expect(node.state.counters["refused.challenge_expired"]).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
