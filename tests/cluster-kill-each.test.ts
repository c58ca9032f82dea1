/**
 * Issue 14: SIGKILL of any single part of the compose topology on a real 3-server JetStream cluster (R3 mesh), with an
 * A2A task in flight each time, and the rest keeps serving (a message sent reaches its listener, discovery finds bob,
 * the chain is sealed to the log's end, the task completes; each within 20 s):
 * - one registry node: the other answers discovery and a join;
 * - the writing sealer: the standby takes over and seals to the log's end;
 * - the gateway, with a task in flight: another gateway (same key) completes it and serves new tasks;
 *   (the killed ones are started again)
 * - each of the 3 servers in turn, restarted and its replicas current again before the next goes down.
 * Every part but the agents is a `plexus` child process (cluster-topology.ts). A step that fails is recorded and the
 * test goes on, so one run names every part that stopped serving. */
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

/**
 * Runs one step and says how long it took on stdout. A failure is recorded (with the consumers that hold undelivered
 * messages, and whether their pull requests wait) and the test goes on, so one run shows every part that stopped.
 */
async function step<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  const took = () => `${Math.round(performance.now() - started)} ms`;
  try {
    const out = await run();
    console.log(`${what}: ${took()}`);
    return out;
  } catch (err) {
    const stuck = await stuckConsumers(jsm, streams.mesh).catch((e: unknown) => [String(e)]);
    const failure = `${what}: FAILED after ${took()}: ${(err as Error).message}; consumers: ${stuck.join("; ") || "none"}`;
    console.log(failure);
    failures.push(failure);
    return undefined;
  }
}

const failures: string[] = [];

/** Sends and receives, discovers, seals: what must keep working whatever one part is down. */
async function serving(when: string): Promise<void> {
  await step(`${when}: a message sent and received`, () => topology.sendAndReceive());
  await step(`${when}: discovery finds bob`, async () => {
    if (!(await topology.discoverBob())) throw new Error("bob not found");
  });
  await step(`${when}: sealed to the end`, () =>
    sealedToEnd().catch(async (err: Error) => {
      const sealers = [...topology.parts.keys()].filter((n) => n.startsWith("sealer"));
      const tails = sealers.map((n) => `${n} stderr: ${topology.stderrTail(n)}`).join("; ");
      throw new Error(`${err.message}; audit status: ${await topology.auditStatus()}; ${tails}`);
    }),
  );
}

/** A task sent before `when` began completes with bob's answer. */
async function completes(when: string, id: string, text: string): Promise<void> {
  await step(`${when}: the A2A task in flight completed`, async () => {
    const answer = await topology.taskCompleted(id);
    if (answer !== `done: ${text}`) throw new Error(`answer ${JSON.stringify(answer)}`);
  });
}

describe("one part of the cluster topology SIGKILLed at a time; the rest keeps serving", { timeout: 240_000 }, () => {
  it("a registry node, the writing sealer, the gateway with a task in flight: the others take over", async () => {
    failures.length = 0;
    await serving("before");

    // A registry node: the other answers discovery and joins; the task in flight completes.
    let task = await topology.startTask("while registry-1 is down");
    const registryArgs = await topology.kill("registry-1");
    await step("registry-1 down: 5 discoveries", async () => {
      for (let i = 0; i < 5; i++) if (!(await topology.discoverBob())) throw new Error("bob not found");
    });
    await step("registry-1 down: an agent joins", async () => {
      const late = await Agent.connect({ key: generateKeyPair(), nats: cluster.urls, mesh });
      topology.agents.push(late);
      await late.join({ name: "late", description: "joins now", version: "1.0.0", capabilities: [{ name: "chat" }] });
    });
    await serving("registry-1 down");
    await completes("registry-1 down", task.id, "while registry-1 is down");

    // The writing sealer: the standby takes over and seals to the end.
    const writer = [...topology.parts.values()].find((p) => p.name.startsWith("sealer") && p.info["role"] === "active");
    expect(writer, "a sealer that writes").toBeDefined();
    const sealerArgs = await topology.kill(writer!.name);
    await serving(`${writer!.name} (the writer) down`);

    // The gateway, with a task in flight: another one, same key, completes it and serves new tasks.
    task = await topology.startTask("while the gateway is replaced");
    const gatewayArgs = await topology.kill("gateway");
    await topology.startPart("gateway", gatewayArgs);
    await completes("gateway replaced", task.id, "while the gateway is replaced");
    const next = await topology.startTask("after the new gateway started");
    await completes("gateway replaced, a new task", next.id, "after the new gateway started");

    // The killed ones start again (they are back for the server kills below).
    await topology.startPart("registry-1", registryArgs);
    await topology.startPart(writer!.name, sealerArgs);
    await serving("all back");
    expect(failures).toEqual([]);
  });

  it("each of the 3 servers in turn: sends, discovery and sealing go on, the A2A task in flight completes", async () => {
    failures.length = 0;
    for (const [i, server] of cluster.servers.entries()) {
      const text = `while ${server.name} is down`;
      const task = await topology.startTask(text);
      await server.kill();
      try {
        await serving(`${server.name} down`);
        await completes(`${server.name} down`, task.id, text);
      } finally {
        await server.restart();
      }
      await step(`${server.name} restarted: every replica current`, async () => {
        let behind: string[] = [];
        await until(async () => (behind = await replicasBehind(jsm, REPLICATED)).length === 0, 60_000).catch(() => {
          throw new Error(`replicas not current 60 s after restarting server ${i}: ${behind.join("; ")}`);
        });
      });
    }
    await serving("every server back");
    expect(failures).toEqual([]);
    const replicas = await replicaCounts(admin, mesh);
    expect(replicas).toEqual(Object.fromEntries(Object.keys(replicas).map((k) => [k, 3])));
  });
});
