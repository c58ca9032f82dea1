import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

describe("operator kill switch (registry side)", () => {
  it("suspends an agent: off discovery, its requests refused, the event names the operator; resume restores it", async () => {
    const mesh = freshMesh();
    const operator = generateKeyPair();
    const node = await kit.node(mesh, { operators: [operator.did] });
    const victimKey = generateKeyPair();
    const [a, victim] = await Promise.all([kit.agent(mesh), kit.agent(mesh, victimKey)]);
    await Promise.all([a.join(card("a", ["echo"])), victim.join(card("victim", ["echo"]))]);
    expect((await a.registry.discover({ capability: "echo" })).result).toHaveLength(2);

    // Only operators (and the registry's own key) may pull the switch.
    await expect(a.registry.suspend(generateKeyPair(), victim.did, "no")).rejects.toMatchObject({
      code: ErrorCode.RequestRefused,
      details: { reason: "not_operator" },
    });
    // A key that never joined can be cut off too (in operator mode it could still get a NATS user); it cannot join then.
    const stranger = generateKeyPair();
    await a.registry.suspend(operator, stranger.did, "spam");
    await expect(a.registry.join(stranger, card("stranger"))).rejects.toMatchObject({
      details: { reason: "suspended" },
    });

    const suspended = await a.registry.suspend(operator, victim.did, "leaked key");
    expect(suspended).toMatchObject({ agent: victim.did, suspended: true });
    expect((await a.registry.discover({ capability: "echo" })).result.map((r) => r.did)).toEqual([a.did]);
    const view = (await a.registry.agent(victim.did)).result;
    expect(view.suspended).toMatchObject({ by: operator.did, reason: "leaked key" });
    expect(view.credential.status).toBe("revoked");
    expect((await a.registry.agents()).result.map((v) => v.did)).toEqual([a.did]);
    await expect(a.registry.update(victimKey, card("victim-2"))).rejects.toMatchObject({
      details: { reason: "suspended" },
    });
    await expect(a.registry.join(victimKey, card("victim-3"))).rejects.toMatchObject({
      details: { reason: "suspended" },
    });
    await expect(a.registry.rotate(victimKey, generateKeyPair())).rejects.toMatchObject({
      details: { reason: "suspended" },
    });
    // Suspending twice answers with the first suspension.
    expect((await a.registry.suspend(operator, victim.did, "again")).seq).toBe(suspended.seq);

    // The log keeps who did it: a node replaying it agrees.
    const replayed = await kit.node(mesh, { operators: [operator.did] });
    await replayed.waitFor(node.state.seq);
    expect(replayed.state.identity.suspended.get(victim.did)).toMatchObject({ by: operator.did, reason: "leaked key" });
    expect(replayed.queries.discover({ capability: "echo" }).result.map((r) => r.did)).toEqual([a.did]);

    await expect(a.registry.resume(generateKeyPair(), victim.did)).rejects.toMatchObject({
      details: { reason: "not_operator" },
    });
    await a.registry.resume(operator, victim.did, "key replaced");
    expect((await a.registry.discover({ capability: "echo" })).result).toHaveLength(2);
    await a.registry.update(victimKey, card("victim", ["echo", "more"]));
    await replayed.waitFor(node.state.seq);
    expect(replayed.state.identity.suspended.has(victim.did)).toBe(false);
  });
});
