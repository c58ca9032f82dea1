/** The cluster harness: N real nats-servers routed into one JetStream cluster, leader lookup, kill and restart. */
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { describe, expect, it } from "vitest";
import { startTestCluster, until } from "../src/index.js";

/**
 * Runs `create` until JetStream places its replicas: on a loaded machine a cluster that has just formed can answer "no
 * suitable peers" for a while after waitForQuorum (which waits at most 15 s for the meta leader to know every peer),
 * and every creator of R3 streams in Plexus retries the same way.
 */
async function placed(create: () => Promise<unknown>): Promise<void> {
  let last: unknown;
  await until(
    () =>
      create().then(
        () => true,
        (err: unknown) => {
          last = err;
          if (!/no suitable peers|fewer servers/.test(String((err as Error).message))) throw err;
          return false;
        },
      ),
    60_000,
    `placement (${String(last)})`,
  );
}

describe("startTestCluster", () => {
  it("replicates a stream on 3 members and keeps it through a SIGKILL of its leader", async () => {
    await using cluster = await startTestCluster({ servers: 3 });
    expect(new Set(cluster.servers.map((s) => s.name)).size).toBe(3);
    expect(cluster.url.split(",")).toEqual(cluster.urls);
    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc);
      await placed(() => jsm.streams.add({ name: "H", subjects: ["h.>"], num_replicas: 3, storage: StorageType.File }));
      const js = jetstream(nc);
      for (let i = 0; i < 10; i++) await js.publish("h.x", new TextEncoder().encode(String(i)));
      const info = await jsm.streams.info("H");
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);

      const leader = await cluster.leaderOf("H");
      expect(cluster.servers[leader]?.name).toBe(info.cluster?.leader);
      await cluster.servers[leader]?.kill();
      expect(cluster.servers[leader]?.running).toBe(false);
      const next = await cluster.leaderOf("H");
      expect(next).not.toBe(leader);
      const ack = await js.publish("h.x", new TextEncoder().encode("after"), { timeout: 10_000 });
      expect(ack.seq).toBe(11);

      await cluster.servers[leader]?.restart();
      await cluster.waitForQuorum();
      // The stream still holds all 11 (a member just restarted may answer once from its own older state: read again).
      await until(async () => (await jsm.streams.info("H")).state.messages === 11, 20_000, "11 messages in H");
    } finally {
      await nc.close();
    }
  }, 120_000);

  it("runs operator mode on every member: a mesh account pushed once is known cluster-wide", async () => {
    await using cluster = await startTestCluster({ servers: 3, operator: true });
    await cluster.auth.mesh("m");
    const admin = await cluster.auth.connectAdmin("m");
    try {
      await placed(() => ensureMeshStream(admin, "m", { replicas: 3 }));
    } finally {
      await admin.close();
    }
    // A service user connecting to each member in turn sees the same replicated mesh stream.
    for (const s of cluster.servers) {
      const nc = await connectBus({
        servers: s.url,
        credentials: { creds: (await cluster.auth.mesh("m")).serviceCreds },
      });
      try {
        expect(nc.info?.server_name).toBe(s.name);
        const info = await (await jetstreamManager(nc)).streams.info(meshSubjects("m").stream);
        expect(info.config.num_replicas).toBe(3);
      } finally {
        await nc.close();
      }
      expect(s.running).toBe(true);
    }
    expect(cluster.servers.map((s) => s.name)).toContain(
      cluster.servers[await cluster.leaderOf(meshSubjects("m").stream)]?.name,
    );
  }, 120_000);
});
