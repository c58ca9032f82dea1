/**
 * Liveness through an outage of the heartbeat bucket on a real 3-server cluster (issue 14): the server holding the
 * bucket is killed for several suspect thresholds while agents beat, then restarted. The agents that kept beating are
 * never marked suspect or worse (their beats could not be stored: the gap is the cluster's), while an agent that
 * really stopped before the outage is still marked. The outage is checked to be longer than the suspect threshold,
 * so measured from the last beat alone the live agents would have been marked (the test can fail).
 */
import type { Liveness } from "@plexus/anp";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { startTestCluster, until, type TestCluster } from "@plexus/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RegistryNode } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ servers: 3 });
}, 60_000);
afterAll(() => cluster?.cleanup());
const kit = meshKit(() => cluster.url);
afterEach(() => kit.close());

const FAST = { heartbeatIntervalMs: 500, suspectAfterMs: 1_500, offlineAfterMs: 3_000, goneAfterMs: 6_000 };

/**
 * A node whose mesh stream survives the loss of the bucket's server: the stream is made R3 first (the node finds it as
 * it is), the bucket R1 by the node, so killing the bucket's server stops the beats for as long as it is down while
 * LivenessChanged events can still be appended (a new stream leader within seconds): a false mark would be stored.
 */
async function nodeWithR3Log(): Promise<{ mesh: string; node: RegistryNode; bucketLeader: number }> {
  const mesh = freshMesh();
  const nc = await connectBus({ servers: cluster.urls });
  try {
    await ensureMeshStream(nc, mesh, { replicas: 3 });
  } finally {
    await nc.close();
  }
  const node = await kit.node(mesh, FAST);
  return { mesh, node, bucketLeader: await cluster.leaderOf(`KV_${meshSubjects(mesh).heartbeatBucket}`) };
}

describe("liveness through a heartbeat bucket outage", () => {
  it("marks no beating agent suspect when the bucket's server is killed, and still marks one that stopped", async () => {
    const { mesh, node, bucketLeader } = await nodeWithR3Log();
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh), kit.agent(mesh)]);
    for (const [agent, name] of [
      [a!, "a"],
      [b!, "b"],
      [c!, "c"],
    ] as const)
      await agent.join(card(name));
    const seen = new Map<string, Liveness[]>();
    const watch = setInterval(() => {
      for (const agent of [a!, b!]) {
        const l = node.state.agents.get(agent.did)?.liveness;
        const list = seen.get(agent.did) ?? [];
        if (l && list.at(-1) !== l) list.push(l);
        seen.set(agent.did, list);
      }
    }, 20);
    try {
      // An agent that really stops is marked, outage or not.
      c!.stopHeartbeats();
      await until(() => node.state.agents.get(c!.did)?.liveness !== "alive", 10_000, "the stopped agent marked");

      const lastBefore = node.status().counters["heartbeats"] ?? 0;
      const killedAt = Date.now();
      await cluster.servers[bucketLeader]!.kill();
      await new Promise((r) => setTimeout(r, 3 * FAST.suspectAfterMs));
      await cluster.servers[bucketLeader]!.restart();
      await cluster.waitForQuorum();
      const beatsAfter = (did: string): boolean => (node.monitor?.lastHeartbeat(did) ?? 0) > killedAt;
      await until(() => beatsAfter(a!.did) && beatsAfter(b!.did), 30_000, "beats read again after the restart");
      const gap = Date.now() - killedAt;
      // Settle: late marks would come within a suspect threshold or two of the recovery.
      await new Promise((r) => setTimeout(r, 2 * FAST.suspectAfterMs));
      console.log(
        `heartbeat bucket down ${(gap / 1000).toFixed(1)} s (suspect after ${FAST.suspectAfterMs / 1000} s);` +
          ` watch restarts: ${node.monitor?.watchRestarts ?? 0}; beats before: ${lastBefore}`,
      );
      expect(gap).toBeGreaterThan(FAST.suspectAfterMs);
      expect(seen.get(a!.did)).toEqual(["alive"]);
      expect(seen.get(b!.did)).toEqual(["alive"]);
      expect(node.state.agents.get(c!.did)?.liveness).not.toBe("alive");
    } finally {
      clearInterval(watch);
    }
  }, 110_000);
});
