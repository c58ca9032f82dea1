/**
 * Liveness through an outage of the heartbeat bucket on a real 3-server cluster (issue 14): the server leading the
 * bucket (R1, or R3) is killed for several suspect thresholds while agents beat, then restarted. The agents that kept
 * beating are never marked suspect or worse (their beats could not be stored or read: the gap is the cluster's), while
 * an agent that really stopped before the outage is still marked. With the R1 bucket the silence is checked to be
 * longer than the suspect threshold, so measured from the last beat alone the live agents would have been marked (the
 * test can fail; with the rule switched off it does). Seen here: 6.5 s of silence with R1, 7.5 s through an R3 leader
 * change.
 */
import type { Liveness } from "@plexus/anp";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectBus, ensureMeshStream, meshStreamConfig } from "@plexus/bus";
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
 * it is), so LivenessChanged events can still be appended (a new stream leader within seconds) while the bucket is
 * down: a false mark would be stored. The bucket is R1 (the stream made without mesh settings: killing the bucket's
 * server stops the beats for as long as it is down) or R3 (the mesh's settings ask for 3: a leader change, through
 * which a watch was seen to freeze).
 */
async function nodeWithR3Log(bucketReplicas: 1 | 3): Promise<{ mesh: string; node: RegistryNode; leader: number }> {
  const mesh = freshMesh();
  const nc = await connectBus({ servers: cluster.urls });
  try {
    if (bucketReplicas === 3) await ensureMeshStream(nc, mesh, { replicas: 3 });
    else await (await jetstreamManager(nc)).streams.add(meshStreamConfig(mesh, { replicas: 3 }));
  } finally {
    await nc.close();
  }
  const node = await kit.node(mesh, FAST);
  return { mesh, node, leader: await cluster.leaderOf(`KV_${meshSubjects(mesh).heartbeatBucket}`) };
}

describe("liveness through a heartbeat bucket outage", () => {
  it.each([1, 3] as const)(
    "R%i bucket: marks no beating agent suspect when its leader's server is killed, and still marks one that stopped",
    async (replicas) => {
      const { mesh, node, leader } = await nodeWithR3Log(replicas);
      const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh), kit.agent(mesh)]);
      for (const [agent, name] of [
        [a!, "a"],
        [b!, "b"],
        [c!, "c"],
      ] as const)
        await agent.join(card(name));
      const seen = new Map<string, Liveness[]>();
      let killedAt = Number.POSITIVE_INFINITY;
      let silence = 0;
      const watch = setInterval(() => {
        for (const agent of [a!, b!]) {
          const l = node.state.agents.get(agent.did)?.liveness;
          const list = seen.get(agent.did) ?? [];
          if (l && list.at(-1) !== l) list.push(l);
          seen.set(agent.did, list);
          const last = node.monitor?.lastHeartbeat(agent.did) ?? 0;
          if (Date.now() > killedAt) silence = Math.max(silence, Date.now() - last);
        }
      }, 20);
      try {
        // An agent that really stops is marked, outage or not.
        c!.stopHeartbeats();
        await until(() => node.state.agents.get(c!.did)?.liveness !== "alive", 10_000, "the stopped agent marked");

        killedAt = Date.now();
        await cluster.servers[leader]!.kill();
        await new Promise((r) => setTimeout(r, 3 * FAST.suspectAfterMs));
        await cluster.servers[leader]!.restart();
        await cluster.waitForQuorum();
        const beatsAfter = (did: string): boolean => (node.monitor?.lastHeartbeat(did) ?? 0) > killedAt;
        await until(() => beatsAfter(a!.did) && beatsAfter(b!.did), 30_000, "beats read again after the kill");
        // Settle: late marks would come within a suspect threshold or two of the recovery.
        await new Promise((r) => setTimeout(r, 2 * FAST.suspectAfterMs));
        console.log(
          `R${replicas} heartbeat bucket: longest silence of a beating agent ${(silence / 1000).toFixed(1)} s ` +
            `(suspect after ${FAST.suspectAfterMs / 1000} s); watch restarts: ${node.monitor?.watchRestarts ?? 0}`,
        );
        // R1: the beats stopped for longer than the suspect threshold (measured from the last beat alone, a + b
        // would have been marked: the test can fail). R3: as long as the leader change took (printed).
        if (replicas === 1) expect(silence).toBeGreaterThan(FAST.suspectAfterMs);
        expect(seen.get(a!.did)).toEqual(["alive"]);
        expect(seen.get(b!.did)).toEqual(["alive"]);
        expect(node.state.agents.get(c!.did)?.liveness).not.toBe("alive");
      } finally {
        clearInterval(watch);
      }
    },
    110_000,
  );
});
