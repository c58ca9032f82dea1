/**
 * compose starts its nodes together: both registry nodes create the mesh's topic stream at start (operator mode), on
 * a 3-server cluster. Each create carries its own start time, so JetStream refuses all but one as "already in use
 * with a different configuration"; a node must take the stream another made and start, not exit (it did: 14 of 24
 * concurrent creates failed before).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectBus, ensureMeshStream, ensureTopicStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { startTestCluster, type TestCluster } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cluster: TestCluster;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ servers: 3 });
  for (const url of cluster.urls) conns.push(await connectBus({ servers: url }));
}, 60_000);

afterAll(async () => {
  await Promise.all(conns.map((nc) => nc.close().catch(() => undefined)));
  await cluster?.cleanup();
}, 60_000);

describe("nodes starting together on a cluster", () => {
  it("every concurrent ensureTopicStream succeeds, one stream results", async () => {
    for (let round = 0; round < 4; round++) {
      const mesh = `race${round}`;
      await ensureMeshStream(conns[0] as NatsConnection, mesh, { replicas: 3 });
      const results = await Promise.allSettled([...conns, ...conns].map((nc) => ensureTopicStream(nc, mesh)));
      expect(
        results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
      const info = await (await jetstreamManager(conns[1] as NatsConnection)).streams.info(
        meshSubjects(mesh).topicStream,
      );
      expect(info.config.num_replicas).toBe(3);
    }
  }, 90_000);
});
