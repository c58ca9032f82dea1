/**
 * Issue 14: SIGKILL of any single part of the compose topology on a real 3-server JetStream cluster (R3 mesh), with an
 * A2A task in flight each time, and the rest keeps serving:
 * - each of the 3 servers in turn (restarted, and its replicas current again, before the next): messages are sent and
 *   received, discovery answers, the sealer seals what was sent, the task in flight completes;
 * - one registry node: discovery and joins are answered by the other, the task completes;
 * - the writing sealer: the standby takes over and seals to the log's end;
 * - the gateway, with the task in flight: another gateway (same key) completes it, and serves new tasks.
 * Every part but the agents is a `plexus` child process (cluster-topology.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { Agent } from "@plexus/sdk";
import { startTestCluster, until, type TestCluster } from "@plexus/testing";
import {
  provisionMesh,
  replicaCounts,
  replicasBehind,
  streamEnd,
  streamsOf,
  stuckConsumers,
  taskBucket,
} from "./cluster-mesh.js";
import { Topology } from "./cluster-topology.js";

const mesh = `killeach${process.pid}`;
const streams = streamsOf(mesh);
/** What must be current on every server before the next one goes down. */
const REPLICATED = [streams.mesh, streams.chain, `KV_${meshSubjects(mesh).heartbeatBucket}`, `KV_${taskBucket(mesh)}`];

let cluster: TestCluster;
let admin: NatsConnection;
let jsm: JetStreamManager;
let topology: Topology;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "plexus-kill-each-"));
  cluster = await startTestCluster({ servers: 3 });
  admin = await connectBus({ servers: cluster.urls, name: "kill-each-admin" });
  jsm = await jetstreamManager(admin);
  await provisionMesh(admin, mesh, 3);
  topology = await Topology.start({ nats: cluster.url, urls: cluster.urls, mesh, dir });
}, 90_000);

afterAll(async () => {
  await topology?.close();
  await admin?.close();
  await cluster?.cleanup();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

/** The audit chain reaches where the mesh log ends now. */
async function sealedToEnd(timeoutMs = 30_000): Promise<void> {
  const end = await streamEnd(jsm, streams.mesh);
  await until(
    async () => (await streamEnd(jsm, streams.chain).catch(() => 0)) >= end,
    timeoutMs,
    `the chain sealed to ${end}`,
  );
}

/** Runs one step, and says how long it took (or that it failed, and after how long) on stdout. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const took = () => `${Math.round(performance.now() - started)} ms`;
  try {
    const out = await run();
    console.log(`${what}: ${took()}`);
    return out;
  } catch (err) {
    const stuck = await stuckConsumers(jsm, streams.mesh).catch((e: unknown) => [String(e)]);
    console.log(`${what}: FAILED after ${took()}: ${(err as Error).message}; consumers: ${stuck.join("; ")}`);
    throw err;
  }
}

/** Sends and receives, discovers, seals: what must keep working whatever one part is down. */
async function serving(when: string): Promise<void> {
  await step(`${when}: a message sent and received`, () => topology.sendAndReceive());
  expect(await step(`${when}: discovery`, () => topology.discoverBob())).toBe(true);
  await step(`${when}: sealed to the end`, () => sealedToEnd());
}

describe("one part of the cluster topology SIGKILLed at a time; the rest keeps serving", { timeout: 180_000 }, () => {
  it("each of the 3 servers in turn: sends, discovery and sealing go on, the A2A task in flight completes", async () => {
    await serving("before");
    for (const [i, server] of cluster.servers.entries()) {
      const task = await topology.startTask(`while ${server.name} is down`);
      await server.kill();
      const down = `${server.name} down`;
      try {
        await serving(down);
        const answer = await step(`${down}: task completed`, () => topology.taskCompleted(task.id));
        expect(answer).toBe(`done: while ${server.name} is down`);
      } finally {
        await server.restart();
      }
      let behind: string[] = [];
      await until(async () => (behind = await replicasBehind(jsm, REPLICATED)).length === 0, 60_000).catch(() => {
        throw new Error(`replicas not current 60 s after restarting server ${i}: ${behind.join("; ")}`);
      });
    }
    await serving("after");
    expect(Object.values(await replicaCounts(admin, mesh)).every((r) => r === 3)).toBe(true);
  });

  it("a registry node, the writing sealer, the gateway with a task in flight: the others take over", async () => {
    // A registry node: the other answers discovery and joins.
    let task = await topology.startTask("while registry-1 is down");
    await topology.kill("registry-1");
    for (let i = 0; i < 5; i++) expect(await topology.discoverBob()).toBe(true);
    const late = await Agent.connect({ key: generateKeyPair(), nats: cluster.urls, mesh });
    topology.agents.push(late);
    const joined = await late.join({
      name: "late",
      description: "joins now",
      version: "1.0.0",
      capabilities: [{ name: "chat" }],
    });
    expect(joined.heartbeat.bucket).toBe(`PLEXUS_${mesh.toUpperCase()}_HEARTBEATS`);
    await serving("registry-1 down");
    expect(await topology.taskCompleted(task.id)).toBe("done: while registry-1 is down");

    // The writing sealer: the standby takes over and seals to the end.
    const writer = [...topology.parts.values()].find((p) => p.name.startsWith("sealer") && p.info["role"] === "active");
    expect(writer, "a sealer that writes").toBeDefined();
    await topology.kill(writer!.name);
    await topology.sendAndReceive();
    await sealedToEnd(30_000);

    // The gateway, with a task in flight: another one, same key, completes it and serves new tasks.
    task = await topology.startTask("while the gateway is replaced");
    await topology.kill("gateway");
    await topology.startPart("gateway", ["gateway", "start", "--http", "127.0.0.1:0"]);
    expect(await topology.taskCompleted(task.id)).toBe("done: while the gateway is replaced");
    const next = await topology.startTask("after the new gateway started");
    expect(await topology.taskCompleted(next.id)).toBe("done: after the new gateway started");
    await serving("gateway replaced");
  });
});
