/**
 * Issue 14: a `plexus gateway start` killed (SIGKILL) while it holds the agent's reply to a task in flight, and another
 * gateway with the same key started in its place: the task completes through the new one, well before the 30 s a
 * server used to keep a reply with the dead gateway (the replies consumer's ack wait, now mesh-link.ts ACK_WAIT_MS).
 * The old gateway is stopped (SIGSTOP) before the agent answers, so the server hands it the reply and it can never
 * handle it: exactly what a gateway killed between taking a reply and acknowledging it leaves behind.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { TaskState, type Task } from "@a2a-js/sdk";
import { connectBus } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { startRegistryNode } from "@plexus/registry";
import { Agent, type Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import { ACK_WAIT_MS, agentUrls } from "@plexus/a2a/internal";
import { cli, firstJson } from "../cli-process.js";
import { card, client, freshMesh, request } from "./fixtures.js";

const nats = useTestServer();
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "plexus-a2a-kill-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true, maxRetries: 5 });
});

/** Well below the 30 s the reply used to stay with the dead gateway, well above the ack wait it has now. */
const COMPLETES_MS = 20_000;

describe("a gateway killed holding a reply", () => {
  it("the gateway started in its place (same key) gets the reply and completes the task in flight", {
    timeout: 90_000,
  }, async () => {
    expect(ACK_WAIT_MS * 2).toBeLessThanOrEqual(COMPLETES_MS / 2);
    const mesh = freshMesh();
    const keys = join(root, "keys");
    const registry = await startRegistryNode({
      nats: nats.url,
      mesh,
      key: generateKeyPair(),
      http: false,
      refreshMs: 0,
    });
    const admin = await connectBus({ servers: nats.url, name: "gateway-kill-admin" });
    const jsm = await jetstreamManager(admin);
    const { start, reap } = cli();
    let bob: Agent | undefined;
    try {
      const args = ["gateway", "start", "--nats", nats.url, "--mesh", mesh, "--keys", keys, "--http", "127.0.0.1:0"];
      const first = start([...args, "--json"]);
      const firstInfo = await firstJson<{ gateway: string; url: string }>(first);

      // bob answers only when told to, so the test decides when his reply reaches the gateway.
      bob = await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh });
      await bob.join(card("bob"));
      const got: Delivery[] = [];
      let answer!: () => void;
      const told = new Promise<void>((r) => (answer = r));
      let replied = false;
      const b = bob;
      await bob.listen(async (d) => {
        if (d.type !== "a2a.message") return;
        got.push(d);
        await told;
        await b.reply(d, { state: "completed", text: "done" });
        replied = true;
      });

      const c = await client(agentUrls(firstInfo.url, bob.did).base, "JSONRPC", true);
      const task = (await c.sendMessage(request("take your time"))) as Task;
      expect(task.status?.state).toBe(TaskState.TASK_STATE_SUBMITTED);
      await until(() => got.length === 1, 10_000, "bob to get the task");

      // The gateway stops running with its pull request open: bob's reply is handed to it and stays unacknowledged.
      first.child.kill("SIGSTOP");
      answer();
      await until(() => replied, 10_000, "bob's reply stored");
      const replies = async () => {
        for await (const ci of jsm.consumers.list(meshSubjects(mesh).stream))
          if (ci.name.startsWith("a2a_replies_")) return ci;
        throw new Error("no replies consumer");
      };
      await until(async () => (await replies()).num_ack_pending === 1, 10_000, "the reply held by the stopped gateway");
      first.child.kill("SIGKILL");
      await first.exited;

      const second = start([...args, "--json"]);
      const secondInfo = await firstJson<{ gateway: string; url: string }>(second);
      expect(secondInfo.gateway).toBe(firstInfo.gateway);
      const c2 = await client(agentUrls(secondInfo.url, bob.did).base, "JSONRPC", true);
      let state: TaskState | undefined;
      await until(
        async () => {
          state = (await c2.getTask({ tenant: "", id: task.id, historyLength: 0 })).status?.state;
          return state === TaskState.TASK_STATE_COMPLETED;
        },
        COMPLETES_MS,
        "the task in flight completed through the new gateway",
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last state ${state === undefined ? "none" : TaskState[state]}`);
      });
      const done = await c2.getTask({ tenant: "", id: task.id });
      expect(done.status?.message?.parts[0]?.content).toEqual({ $case: "text", value: "done" });
      expect((await replies()).num_ack_pending).toBe(0);
    } finally {
      await bob?.close();
      await reap();
      await admin.close();
      await registry.stop();
    }
  });
});
