import { afterEach, describe, expect, it } from "vitest";
import { RejectionReason } from "@plexus/core";
import { generateKeyPair, issueCapabilityCredential, type KeyPair } from "@plexus/identity";
import type { Agent, Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import type { RegistryNode, RegistryNodeOptions } from "../src/index.js";
import { card, converse, freshMesh, operatorKit } from "./fixtures.js";

/**
 * Issue 16 on a NATS server in operator mode (what `plexus up` runs): after KeyRotated the old key is cut off from
 * NATS, and what it signed in the moment before the cut-off counts nowhere either; --compromised revokes what it
 * issued; the agent's liveness and score carry over the switch.
 */
const nats = useTestServer({ operator: true });
const kit = operatorKit(nats);
afterEach(() => kit.close());

const FAST = { heartbeatIntervalMs: 100, suspectAfterMs: 400, offlineAfterMs: 800, goneAfterMs: 5_000 };

const node = (mesh: string, options: Partial<RegistryNodeOptions> = {}): Promise<RegistryNode> =>
  kit.node(mesh, generateKeyPair(), options);
const agent = (mesh: string, key?: KeyPair): Promise<Agent> => kit.agent(mesh, key);

describe("after a key rotation, nothing new the old key signs counts (operator mode)", () => {
  it("refuses the old key's late credentials and messages, cuts it off, and revokes what it issued when compromised", {
    timeout: 30_000,
  }, async () => {
    const mesh = freshMesh();
    const n = await node(mesh);
    const bKey = generateKeyPair();
    const [a, b, c] = await Promise.all([agent(mesh), agent(mesh, bKey), agent(mesh)]);
    await Promise.all([a.join(card("a", ["shop"])), b.join(card("b")), c.join(card("c", ["review"]))]);
    const issued = await issueCapabilityCredential(bKey, {
      subject: c.did,
      capabilities: ["review"],
      ttlMs: 3_600_000,
    });
    await c.presentCredential(issued.jwt);
    const early = await b.send(c.did, { n: "before" }, { conversation: "bc" });

    const newKey = generateKeyPair();
    const moved = await b.registry.rotate(bKey, newKey, { compromised: true });
    expect(moved).toMatchObject({ from: bKey.did, to: newKey.did, revoked: 1 });
    // In the moment before its NATS user is cut off, the old key still publishes: the message counts nowhere.
    const late = await b.send(c.did, { n: "after" }, { conversation: "bc" });
    expect(late.streamSeq).toBeGreaterThan(moved.seq);
    // Then it is cut off (its user revoked: the registry tests show how fast) and cannot get a NATS user again.
    await expect(agent(mesh, bKey)).rejects.toMatchObject({ details: { reason: "rotated" } });

    const after = await issueCapabilityCredential(bKey, { subject: a.did, capabilities: ["shop"], ttlMs: 3_600_000 });
    await expect(a.presentCredential(after.jwt)).rejects.toMatchObject({ details: { reason: "rotated_key" } });
    // Compromised: what the old key issued before is revoked too, by the rotation event itself.
    expect(n.state.credentials.revocation(bKey.did, issued.claims.id)).toMatchObject({ seq: moved.seq });
    const review = (await a.discover({ capability: "review" })).result.find((r) => r.did === c.did);
    expect(review?.claims.find((x) => x.name === "review")).toMatchObject({ attested: false, attestedBy: [] });

    const got: Delivery[] = [];
    await c.listen(async (d) => void got.push(d));
    await until(
      async () => (await c.rejected()).records.some((r) => r.streamSeq === late.streamSeq),
      10_000,
      "the late message refused",
    );
    expect((await c.rejected()).records.find((r) => r.streamSeq === late.streamSeq)).toMatchObject({
      reason: RejectionReason.RotatedKey,
      from: bKey.did,
    });
    await until(() => got.length === 1, 5_000, "the message sent before the rotation");
    expect(got[0]?.id).toBe(early.id);
    await until(
      () => (n.state.counters[`evidence.refusedMessages.${RejectionReason.RotatedKey}`] ?? 0) === 1,
      5_000,
      "the registry's verdict",
    );
  });

  it("agent.rotateKey keeps the agent alive and its score unchanged across the switch", async () => {
    const mesh = freshMesh();
    const n = await node(mesh, FAST);
    const bKey = generateKeyPair();
    const [a, b] = await Promise.all([agent(mesh), agent(mesh, bKey)]);
    await Promise.all([a.join(card("a")), b.join(card("b"))]);
    for (let i = 0; i < 3; i++) await converse(a, b, `ab-${i}`);
    await new Promise((r) => setTimeout(r, 1_200));
    const before = (await a.registry.reputation(b.did)).result.score;
    const transitions = n.state.counters["events.LivenessChanged"] ?? 0;

    const newKey = generateKeyPair();
    const b2 = await b.rotateKey(newKey);
    kit.adopt(b2);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(n.state.agents.get(newKey.did)?.liveness).toBe("alive");
    expect(n.state.counters["events.LivenessChanged"] ?? 0).toBe(transitions);
    const after = (await a.registry.reputation(newKey.did)).result.score;
    expect(Math.abs(after - before)).toBeLessThan(0.001);
  });
});
