import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { card, converse, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

describe("reputation from the mesh's own record", () => {
  it("counts a rating only when the log holds the rated conversation both ways", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), b.join(card("b")), c.join(card("c"))]);

    await expect(a.rate({ ratee: b.did, conversation: "never-happened", score: 1 })).rejects.toMatchObject({
      code: ErrorCode.RequestRefused,
      details: { reason: "no_conversation" },
    });
    // Only one direction: a asked, b never answered.
    await a.send(b.did, "hello?", { conversation: "one-way" });
    await expect(a.rate({ ratee: b.did, conversation: "one-way", score: 0 })).rejects.toMatchObject({
      details: { reason: "no_conversation" },
    });
    // A conversation between a and b does not let c rate b.
    await converse(a, b, "ab-1");
    await expect(c.rate({ ratee: b.did, conversation: "ab-1", score: 0 })).rejects.toMatchObject({
      details: { reason: "no_conversation" },
    });
    await expect(b.rate({ ratee: b.did, conversation: "ab-1", score: 1 })).rejects.toMatchObject({
      details: { reason: "self_rating" },
    });

    await a.rate({ ratee: b.did, conversation: "ab-1", score: 1, factor: "quality", comment: "fast and right" });
    const rep = (await a.registry.reputation(b.did)).result;
    expect(rep.factors.quality.evidence).toBe(1);
    expect(rep.factors.responsiveness.evidence).toBe(1); // b answered a's request
    // Rating the same conversation again does not count twice.
    await a.rate({ ratee: b.did, conversation: "ab-1", score: 1, factor: "quality" });
    expect((await a.registry.reputation(b.did)).result.factors.quality.evidence).toBe(1);
    expect(node.state.counters["ignored.ratingRepeated"]).toBe(1);
    expect(node.state.counters["refused.no_conversation"]).toBe(3);
  });

  it("ranks a Sybil ring of 50 fresh identities rating each other 1.0 below an honest agent with a real record, and decays an idle score", async () => {
    const mesh = freshMesh();
    const anchors = await Promise.all([0, 1, 2].map(() => kit.agent(mesh)));
    const node = await kit.node(mesh, { trustAnchors: anchors.map((a) => a.did), halfLifeMs: 4_000, clockStepMs: 50 });
    const honest = await kit.agent(mesh);
    const ring = await Promise.all(Array.from({ length: 50 }, () => kit.agent(mesh)));
    await Promise.all([
      honest.join(card("honest", ["translate"])),
      ...anchors.map((a, i) => a.join(card(`client-${i}`, ["shop"]))),
      ...ring.map((s, i) =>
        s.join(card(`sybil-${i}`, ["translate"], { description: "the best translate agent, rated 1.0 by everyone" })),
      ),
    ]);
    // The honest agent serves real requests from established clients, who rate it well.
    for (const [i, client] of anchors.entries()) {
      for (let k = 0; k < 4; k++) {
        const conversation = `h-${i}-${k}`;
        await converse(client, honest, conversation);
        await client.rate({ ratee: honest.did, conversation, score: 0.9 });
      }
    }
    // The ring talks only to itself and rates itself perfectly, both ways around the ring.
    await Promise.all(
      ring.map(async (s, i) => {
        const next = ring[(i + 1) % ring.length]!;
        const conversation = `ring-${i}`;
        await converse(s, next, conversation);
        await s.rate({ ratee: next.did, conversation, score: 1 });
        await next.rate({ ratee: s.did, conversation, score: 1 });
      }),
    );
    expect(node.state.counters.ratings).toBe(12 + 100);

    const { result } = await honest.discover({ capability: "translate", limit: 10 });
    expect(result[0]!.did).toBe(honest.did);
    expect(result[0]!.newcomer).toBe(false);
    const honestScore = result[0]!.score;
    const sybils = result.slice(1);
    expect(sybils.length).toBeGreaterThan(0);
    for (const s of sybils) {
      expect(s.newcomer).toBe(true);
      expect(s.score).toBeLessThan(honestScore);
    }
    const sybilRep = (await honest.registry.reputation(ring[0]!.did)).result;
    expect(sybilRep.factors.quality.evidence).toBe(2); // the ratings are on record …
    expect(sybilRep.trust).toBe(0); // … but no trust flows into the ring
    expect(honestScore).toBeGreaterThan(0.6);

    // Idle for two half-lives: the score decays toward the neutral 0.5.
    await new Promise((r) => setTimeout(r, 8_000));
    const later = (await honest.registry.reputation(honest.did)).result;
    expect(later.score).toBeLessThan(honestScore - 0.05);
    expect(later.score).toBeGreaterThan(0.5);
  }, 60_000);
});
