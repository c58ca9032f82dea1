import { afterEach, describe, expect, it } from "vitest";
import { makeRotation, signRequest } from "@plexus/anp/internal";
import { ErrorCode } from "@plexus/core";
import { generateKeyPair, issueCapabilityCredential } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { card, converse, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

describe("agent key rotation", () => {
  it("moves the agent's record, card and reputation to the new key; the old key can no longer act", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const bKey = generateKeyPair();
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), b.join(card("b", ["translate"])), c.join(card("c"))]);
    for (let i = 0; i < 3; i++) await converse(a, b, `ab-${i}`);
    await converse(c, b, "cb");
    await converse(b, c, "bc");
    await a.rate({ ratee: b.did, conversation: "ab-0", score: 0.9, factor: "quality" });
    await c.rate({ ratee: b.did, conversation: "cb", score: 0.8, factor: "honesty" });
    await b.rate({ ratee: c.did, conversation: "bc", score: 0.7, factor: "quality" });
    const issuer = generateKeyPair();
    const { jwt } = await issueCapabilityCredential(issuer, {
      subject: b.did,
      capabilities: ["translate"],
      ttlMs: 3_600_000,
    });
    await a.registry.attest(bKey, jwt);
    const before = (await a.registry.reputation(b.did)).result;
    const cBefore = (await a.registry.reputation(c.did)).result;
    expect(before.factors.quality.evidence).toBeGreaterThan(0);

    const newKey = generateKeyPair();
    // A proof by another key than the one named, and a rotation onto a key the mesh knows, are refused.
    const challenge = await a.registry.challenge(bKey.did);
    const forged = {
      ...makeRotation(bKey, newKey, challenge),
      proof: makeRotation(bKey, generateKeyPair(), challenge).proof,
    };
    await expect(a.registry.call("rotate", signRequest(bKey, "rotate", mesh, challenge, forged))).rejects.toMatchObject(
      { details: { reason: "rotation_invalid" } },
    );
    const moved = await a.registry.rotate(bKey, newKey);
    expect(moved).toMatchObject({ from: bKey.did, to: newKey.did });

    const after = (await a.registry.reputation(newKey.did)).result;
    for (const f of ["quality", "honesty", "responsiveness", "reliability"] as const)
      expect(after.factors[f].evidence).toBe(before.factors[f].evidence);
    expect(after.score).toBeCloseTo(before.score, 3);
    expect(after.newcomer).toBe(before.newcomer);
    // What b said about c counts as before: it is now the new key's rating.
    expect((await a.registry.reputation(c.did)).result.factors.quality.evidence).toBe(cBefore.factors.quality.evidence);

    await expect(a.registry.reputation(bKey.did)).rejects.toMatchObject({
      code: ErrorCode.AgentNotFound,
      details: { rotatedTo: newKey.did },
    });
    const view = (await a.registry.agent(newKey.did)).result;
    expect(view).toMatchObject({ name: "b", previousDids: [bKey.did] });
    const found = (await a.registry.discover({ capability: "translate" })).result.map((r) => r.did);
    expect(found).toEqual([newKey.did]);
    // The capability credential issued to the old DID still counts for the agent, now under its new key.
    const verified = (await a.registry.discover({ capability: "translate", verifiedOnly: true })).result;
    expect(verified.map((r) => r.did)).toEqual([newKey.did]);
    expect(verified[0]?.claims.find((c) => c.name === "translate")?.attestedBy.map((x) => x.issuer)).toEqual([
      issuer.did,
    ]);
    // The old key is spent: it cannot update, rejoin or rotate again.
    await expect(a.registry.join(bKey, card("b-again"))).rejects.toMatchObject({ details: { reason: "rotated" } });
    await expect(a.registry.rotate(bKey, generateKeyPair())).rejects.toMatchObject({ details: { reason: "rotated" } });
    // The new key rejoins (fresh membership credential) and keeps the tenure of the first join.
    const firstJoinedAt = node.state.agents.get(newKey.did)?.firstJoinedAt;
    const rejoined = await a.registry.join(newKey, card("b", ["translate"]));
    expect(rejoined.did).toBe(newKey.did);
    expect(node.state.agents.get(newKey.did)?.firstJoinedAt).toBe(firstJoinedAt);

    // A node that replays the log from the start, and one restarted from a snapshot, agree.
    const replayed = await kit.node(mesh);
    const seq = node.state.seq;
    await replayed.waitFor(seq);
    const fromReplay = replayed.queries.reputation(newKey.did).result;
    const here = node.queries.reputation(newKey.did).result;
    expect(fromReplay.factors).toEqual(here.factors);
    expect(replayed.state.identity.rotatedTo.get(bKey.did)).toBe(newKey.did);
  });

  it("agent.rotateKey: the SDK closes the old agent and returns one on the new key, joined again with the same card", async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), b.join(card("b", ["translate"]))]);
    await converse(a, b, "before");
    // The registry observes the reply from the log, a moment after it is stored.
    await until(
      async () => (await a.registry.reputation(b.did)).result.factors.responsiveness.evidence > 0,
      5_000,
      "the reply observed",
    );
    const evidence = (await a.registry.reputation(b.did)).result.factors.responsiveness.evidence;
    const oldDid = b.did;
    const newKey = generateKeyPair();
    const renewed = await b.rotateKey(newKey);
    try {
      expect(renewed.did).toBe(newKey.did);
      await expect(b.send(a.did, "old key")).rejects.toMatchObject({ code: ErrorCode.Closed });
      const view = (await a.registry.agent(newKey.did)).result;
      expect(view).toMatchObject({ name: "b", present: true, previousDids: [oldDid], credential: { status: "valid" } });
      expect((await a.registry.reputation(newKey.did)).result.factors.responsiveness.evidence).toBe(evidence);
      expect((await a.registry.discover({ capability: "translate" })).result.map((r) => r.did)).toEqual([newKey.did]);
      await converse(a, renewed, "after");
    } finally {
      await renewed.close();
    }
  });

  it("refuses rotating onto a key the mesh already knows", async () => {
    const mesh = freshMesh();
    await kit.node(mesh);
    const aKey = generateKeyPair();
    const bKey = generateKeyPair();
    const [a, b] = await Promise.all([kit.agent(mesh, aKey), kit.agent(mesh, bKey)]);
    await Promise.all([a.join(card("a")), b.join(card("b"))]);
    await expect(a.registry.rotate(aKey, bKey)).rejects.toMatchObject({
      code: ErrorCode.RequestRefused,
      details: { reason: "rotation_invalid" },
    });
    await expect(a.registry.rotate(generateKeyPair(), generateKeyPair())).rejects.toMatchObject({
      details: { reason: "not_joined" },
    });
  });
});
