import { afterEach, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { encodeEvent, makeEvent } from "@plexus/anp/internal";
import { agentToken, ErrorCode } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { rotateRegistryKey } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

const FAST = { heartbeatIntervalMs: 100, suspectAfterMs: 600, offlineAfterMs: 1_200, goneAfterMs: 2_000 };

describe("registry key rotation", () => {
  it("moves the registry to a new key: the log before it still counts, the old key's later events do not, agents keep beating", async () => {
    const mesh = freshMesh();
    const oldKey = kit.registryKey;
    const newKey = generateKeyPair();
    const first = await kit.node(mesh, FAST);
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh)]);
    await Promise.all([a.join(card("a")), b.join(card("b"))]);

    const nc = await connect({ servers: nats.url });
    try {
      const rotation = await rotateRegistryKey(nc, mesh, oldKey, newKey);
      expect(rotation).toMatchObject({ from: oldKey.did, to: newKey.did });
      await expect(rotateRegistryKey(nc, mesh, oldKey, generateKeyPair())).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
      // The node still on the old key sees the rotation and stops signing: NOT_READY, once the client has tried again
      // for as long as its timeout allows (another node could have answered).
      await first.waitFor(rotation.seq);
      await expect(a.updateCard(card("a", ["echo", "more"]))).rejects.toMatchObject({ code: ErrorCode.NotReady });
      await first.stop();
      kit.forget(first);

      // A node on the new key, replaying from the start with no other configuration, trusts what came before.
      const second = await kit.node(mesh, { ...FAST, key: newKey });
      expect(second.did).toBe(newKey.did);
      expect([...second.state.agents.keys()].sort()).toEqual([a.did, b.did].sort());
      await a.updateCard(card("a", ["echo", "more"]));
      expect((await a.registry.agent(a.did)).result.capabilities).toEqual(["echo", "more"]);
      const c = await kit.agent(mesh);
      expect((await c.join(card("c"))).registry).toBe(newKey.did);

      // An event signed with the retired key after the rotation does not count.
      const forged = makeEvent(oldKey, "AgentUpdated", b.did, { card: card("b-hijacked") });
      await jetstream(nc).publish(`plexus.${mesh}.registry.AgentUpdated.${agentToken(b.did)}`, encodeEvent(forged));
      await until(
        () => (second.state.counters["invalidEvents.UNTRUSTED_REGISTRY"] ?? 0) === 1,
        5_000,
        "forged event counted",
      );
      expect(second.state.agents.get(b.did)?.card.name).toBe("b");

      // Heartbeat keys handed out by the old key still work with the new one: nobody lapses.
      await new Promise((r) => setTimeout(r, FAST.offlineAfterMs + 300));
      for (const agent of [a, b, c]) expect(second.state.agents.get(agent.did)?.liveness).toBe("alive");
      expect(second.state.counters["events.LivenessChanged"] ?? 0).toBe(0);
    } finally {
      await nc.close();
    }
  }, 30_000);
});
