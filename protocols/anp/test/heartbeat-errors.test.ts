/**
 * Heartbeat failures say what failed (issue 14): on a 3-server cluster, with the server that holds the heartbeat
 * bucket killed, a beat fails with JETSTREAM_UNAVAILABLE "the heartbeat bucket has no leader (cluster lost quorum?)",
 * not the NATS client's "jetstream is not enabled"; and a beat works again once the server is back.
 */
import { connectBus } from "@plexus/bus";
import { ErrorCode, PlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { startTestCluster, until, type TestCluster } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beatKeyFor, Heartbeater, openHeartbeatBucket } from "../src/internal.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ servers: 3 });
}, 60_000);
afterAll(() => cluster?.cleanup());

describe("heartbeat errors on a cluster", () => {
  it("names a bucket without a leader, not a JetStream that is 'not enabled'", async () => {
    const nc = await connectBus({ servers: cluster.urls, name: "agent" });
    try {
      const kv = await openHeartbeatBucket(nc, "HB_ERRORS", true);
      const did = generateKeyPair().did;
      const errors: unknown[] = [];
      const beater = new Heartbeater(kv, did, beatKeyFor(new Uint8Array(32), did), {
        intervalMs: 100,
        onError: (err) => errors.push(err),
      });
      await beater.start();
      const leader = await cluster.leaderOf("KV_HB_ERRORS");
      await cluster.servers[leader]!.kill();
      try {
        await until(() => errors.length > 0, 15_000, "a failed beat");
        const err = errors[0] as PlexusError;
        expect(err).toBeInstanceOf(PlexusError);
        expect(err.code).toBe(ErrorCode.JetStreamUnavailable);
        expect(err.message).toMatch(
          /^JetStream unavailable: the heartbeat bucket (has no leader|did not answer in time)/,
        );
        expect(err.message).not.toContain("not enabled");
        await expect(beater.beat()).rejects.toMatchObject({ code: ErrorCode.JetStreamUnavailable });
      } finally {
        await cluster.servers[leader]!.restart();
      }
      await cluster.waitForQuorum();
      const before = beater.beats;
      await until(() => beater.beats > before, 30_000, "beats stored again");
      beater.stop();
    } finally {
      await nc.close();
    }
  }, 90_000);
});
