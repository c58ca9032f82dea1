import { afterEach, describe, expect, it } from "vitest";
import type { Liveness } from "@plexus/anp";
import { Heartbeater, openHeartbeatBucket } from "@plexus/anp/internal";
import { connect } from "@nats-io/transport-node";
import { until, useTestServer } from "@plexus/testing";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

const FAST = { heartbeatIntervalMs: 100, suspectAfterMs: 400, offlineAfterMs: 800, goneAfterMs: 1_200 };

describe("liveness", () => {
  it("walks alive → suspect → offline → gone as beats stop, records each transition, and comes back when beats resume", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, FAST);
    const agent = await kit.agent(mesh);
    const joined = await agent.join(card("beater"));
    const liveness = async (): Promise<Liveness | undefined> =>
      (await agent.registry.agents({ all: true })).result.find((a) => a.did === agent.did)?.liveness;

    // Beating: stays alive well past every threshold.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await liveness()).toBe("alive");
    const seen: Liveness[] = [];
    const watch = setInterval(() => {
      const l = node.state.agents.get(agent.did)?.liveness;
      if (l && seen.at(-1) !== l) seen.push(l);
    }, 20);
    try {
      agent.stopHeartbeats();
      await until(async () => (await liveness()) === "gone", 5_000, "gone");
      const views = (await agent.registry.agents()).result;
      expect(views.find((a) => a.did === agent.did)).toBeUndefined(); // offline and gone are hidden without --all
      expect((await agent.discover({ capability: "echo" })).result).toEqual([]);
      expect(
        (await agent.discover({ capability: "echo", includeOffline: true })).result.map((r) => r.liveness),
      ).toEqual(["gone"]);

      // Beats resume (same heartbeat key, no rejoin): back to alive.
      const nc = await connect({ servers: nats.url });
      try {
        const beater = new Heartbeater(
          await openHeartbeatBucket(nc, joined.heartbeat.bucket, false),
          agent.did,
          Buffer.from(joined.heartbeat.key, "base64url"),
          { intervalMs: 100 },
        );
        await beater.start();
        await until(async () => (await liveness()) === "alive", 5_000, "alive again");
        beater.stop();
      } finally {
        await nc.close();
      }
    } finally {
      clearInterval(watch);
    }
    if (seen.at(-1) !== node.state.agents.get(agent.did)?.liveness)
      seen.push(node.state.agents.get(agent.did)!.liveness);
    expect(seen).toEqual(["alive", "suspect", "offline", "gone", "alive"]);
    expect(node.state.counters["events.LivenessChanged"]).toBe(4);
    const view = (await agent.registry.agent(agent.did)).result;
    expect(view.lastHeartbeat).toBeGreaterThan(view.joinedAt);
    // A lapse is evidence against reliability, observed by the registry itself.
    expect((await agent.registry.reputation(agent.did)).result.factors.reliability.evidence).toBe(1);
  });

  it("refuses beats that are not authenticated with the agent's key, and does not count them as life", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, FAST);
    const agent = await kit.agent(mesh);
    const joined = await agent.join(card("victim"));
    agent.stopHeartbeats();
    const nc = await connect({ servers: nats.url });
    try {
      const forger = new Heartbeater(
        await openHeartbeatBucket(nc, joined.heartbeat.bucket, false),
        agent.did,
        Buffer.alloc(32, 7),
        { intervalMs: 100 },
      );
      await forger.start();
      await until(
        () => node.state.agents.get(agent.did)?.liveness === "offline",
        5_000,
        "offline despite forged beats",
      );
      forger.stop();
      expect(node.status().counters["heartbeats.refused.bad_mac"]).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
  });
});
