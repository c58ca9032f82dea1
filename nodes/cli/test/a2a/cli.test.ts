/**
 * `plexus gateway start` and the gateway `plexus up` runs, as child processes against a real nats-server, called by
 * @a2a-js/sdk's own client.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskState, type Task } from "@a2a-js/sdk";
import { generateKeyPair, KeyStore } from "@plexus/identity";
import { startRegistryNode } from "@plexus/registry";
import { Agent } from "@plexus/sdk";
import { useTestServer } from "@plexus/testing";
import { agentUrls } from "@plexus/a2a/internal";
import { cli } from "../cli-process.js";
import { card, client, freshMesh, request, scripted } from "./fixtures.js";

const nats = useTestServer();
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "plexus-a2a-cli-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true, maxRetries: 5 });
});

function firstLine(text: string): Record<string, unknown> {
  return JSON.parse(text.split("\n")[0]!) as Record<string, unknown>;
}

/** An agent that joins `mesh` on `url` opting in, and answers by the script. */
async function exposedAgent(url: string, mesh: string): Promise<Agent> {
  const agent = await Agent.connect({ key: generateKeyPair(), nats: url, mesh });
  await agent.join(card("bob"));
  await agent.listen((d) => scripted(agent, d, []));
  return agent;
}

describe.sequential("plexus gateway start / up", () => {
  it("gateway start: creates its key, prints its DID and URL, serves the mesh's agents over A2A; SIGINT stops it", {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    const keys = join(root, "k1");
    const registry = await startRegistryNode({
      nats: nats.url,
      mesh,
      key: generateKeyPair(),
      http: false,
      refreshMs: 0,
    });
    const { start, reap } = cli();
    let agent: Agent | undefined;
    try {
      const gw = start([
        "gateway",
        "start",
        "--nats",
        nats.url,
        "--mesh",
        mesh,
        "--keys",
        keys,
        "--http",
        "127.0.0.1:0",
        "--json",
      ]);
      await gw.waitFor("\n", 20_000, "stdout");
      const info = firstLine(gw.stdout()) as { gateway: string; url: string; mesh: string };
      expect(info.gateway).toBe((await new KeyStore(keys).load("gateway")).did);
      expect(info).toMatchObject({ mesh, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });

      agent = await exposedAgent(nats.url, mesh);
      const c = await client(agentUrls(info.url, agent.did).base, "JSONRPC");
      const task = (await c.sendMessage(request("echo from the CLI gateway"))) as Task;
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);

      gw.child.kill("SIGINT");
      const done = await gw.exited;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toContain("A2A gateway stopped");
    } finally {
      await agent?.close();
      await registry.stop();
      await reap();
    }
  });

  it("up starts a gateway too (--gateway-http), and --no-gateway runs none", { timeout: 90_000 }, async () => {
    const mesh = freshMesh();
    const keys = join(root, "k2");
    const { start, reap } = cli();
    let agent: Agent | undefined;
    try {
      // --no-auth: an open server, which this test's agent reaches without credentials.
      const up = start([
        "up",
        "--no-auth",
        "--data",
        join(root, "d2"),
        "--nats-port",
        "0",
        "--http",
        "127.0.0.1:0",
        "--gateway-http",
        "127.0.0.1:0",
        "--mesh",
        mesh,
        "--keys",
        keys,
        "--json",
      ]);
      await up.waitFor("\n", 30_000, "stdout");
      const info = firstLine(up.stdout()) as { nats: string; gateway: string; a2a: string };
      expect(info.gateway).toBe((await new KeyStore(keys).load("gateway")).did);
      agent = await exposedAgent(info.nats, mesh);
      const listed = (await (await fetch(`${info.a2a}/agents`)).json()) as { agents: { did: string }[] };
      expect(listed.agents.map((a) => a.did)).toEqual([agent.did]);
      const task = (await (
        await client(agentUrls(info.a2a, agent.did).base, "HTTP+JSON")
      ).sendMessage(request("echo via up"))) as Task;
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      await agent.close();
      agent = undefined;
      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);

      const bare = start([
        "up",
        "--data",
        join(root, "d3"),
        "--nats-port",
        "0",
        "--http",
        "127.0.0.1:0",
        "--no-gateway",
        "--mesh",
        mesh,
        "--keys",
        keys,
        "--json",
      ]);
      await bare.waitFor("\n", 30_000, "stdout");
      expect(firstLine(bare.stdout())).toMatchObject({ gateway: null, a2a: null });
      bare.child.kill("SIGINT");
      expect((await bare.exited).code).toBe(0);
    } finally {
      await agent?.close();
      await reap();
    }
  });
});
