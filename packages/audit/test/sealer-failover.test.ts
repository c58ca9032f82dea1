/**
 * The sealer on a 3-server JetStream cluster (issue 14): a sealer node sealing an R3 mesh goes on sealing to the log's
 * end after a SIGKILL of the server that leads the mesh stream (and that the sealer is connected to). Its log reader's
 * ordered consumer lived on that server; the client does not always recreate it, so the reader's watchdog does
 * (sealer/reader.ts `watch`). The time from the kill to the chain sealed to the end is printed.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { startTestCluster, until } from "@plexus/testing";
import { ensureAuditStreams, startSealerNode } from "../src/index.js";
import { freshMesh } from "./helpers.js";

const encoder = new TextEncoder();

/** Publishes one event, trying again while the cluster elects a new leader (a lost ack may store it twice: fine). */
async function publishSurely(nc: NatsConnection, mesh: string, i: number): Promise<void> {
  const js = jetstream(nc);
  await until(
    () =>
      js
        .publish(`plexus.${mesh}.acp.topic.load.t${i % 3}`, encoder.encode(`{"i":${i}}`), { timeout: 3_000 })
        .then(() => true)
        .catch(() => false),
    30_000,
    `event ${i} stored`,
  );
}

describe("a sealer on a 3-server cluster", () => {
  it("seals to the end of the log after a SIGKILL of the server leading the mesh stream (and holding its connection)", async () => {
    await using cluster = await startTestCluster({ servers: 3 });
    const mesh = freshMesh("sf");
    const stream = meshSubjects(mesh).stream;
    const admin = await connect({ servers: cluster.urls });
    try {
      await ensureMeshStream(admin, mesh, { replicas: 3 });
      await ensureAuditStreams(admin, mesh, { replicas: 3 });
      const leader = await cluster.leaderOf(stream);
      const leaderUrl = cluster.urls[leader]!;
      // The sealer connects to the leader first: the kill takes its connection and its reader's consumer at once.
      const nc = await connect({
        servers: [leaderUrl, ...cluster.urls.filter((u) => u !== leaderUrl)],
        noRandomize: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      const lines: string[] = [];
      const sealer = await startSealerNode({
        nc,
        mesh,
        key: generateKeyPair(),
        id: "one",
        leaseTtlMs: 5_000,
        log: (level, line) => lines.push(`${level}: ${line}`),
      });
      try {
        for (let i = 0; i < 20; i++) await publishSurely(admin, mesh, i);
        await until(() => sealer.status().head.size >= 20, 20_000, "the first 20 events sealed");

        await cluster.servers[leader]!.kill();
        const killedAt = Date.now();
        // Keep appending through the election and after it.
        for (let i = 20; i < 40; i++) await publishSurely(admin, mesh, i);
        const jsm = await jetstreamManager(admin);
        const end = (await jsm.streams.info(stream)).state.last_seq;
        expect(end).toBeGreaterThanOrEqual(40);
        await until(() => sealer.status().head.size >= end, 30_000, `the chain sealed to ${end}`).catch((err) => {
          throw new Error(`${(err as Error).message} (at ${sealer.status().head.size}); lines: ${lines.join(" | ")}`);
        });
        const took = Date.now() - killedAt;
        console.log(
          `sealer failover: sealed to ${end} ${took} ms after the SIGKILL of the mesh stream's leader; ` +
            `watchdog lines: ${lines.filter((l) => l.includes("following again")).length}`,
        );
        expect(sealer.status().head.size).toBe(end);
        expect(sealer.status().state).toBe("running");
      } finally {
        await sealer.stop().catch(() => undefined);
        await nc.close().catch(() => undefined);
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  }, 120_000);
});
