/**
 * What goes wrong at the gateway, answered in A2A's own terms (never an HTTP 500): unknown and unexposed agents on
 * both transports, an outage with its Plexus code on both, a task the agent's handler gave up on, the caller named without its secrets, and a gateway that
 * restarts while a task is under way.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TaskState, type Task } from "@a2a-js/sdk";
import { Client, JsonRpcTransportFactory, RestTransportFactory } from "@a2a-js/sdk/client";
import { ErrorCode, httpStatusFor, jsonRpcCodeFor } from "@plexus/core";
import { useTestServer, until } from "@plexus/testing";
import { generateKeyPair } from "@plexus/identity";
import { Agent } from "@plexus/sdk";
import { agentUrls, PLEXUS_ERROR_DOMAIN } from "@plexus/a2a/internal";
import { card, client, kit, request, userMessage } from "./fixtures.js";

const server = useTestServer();

const k = kit(() => server.url);
afterEach(() => k.close());

/** A client for `base` built from another agent's card, so no card fetch is needed. */
async function clientAt(base: string, transport: "JSONRPC" | "HTTP+JSON", cardFrom: Client): Promise<Client> {
  const a2aCard = await cardFrom.getAgentCard();
  const factory = transport === "JSONRPC" ? new JsonRpcTransportFactory() : new RestTransportFactory();
  return new Client(await factory.create(transport === "JSONRPC" ? `${base}jsonrpc` : `${base}rest`, a2aCard), a2aCard);
}

function rpc(method: string, params: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", "A2A-Version": "1.0", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
  };
}

describe("unknown and unexposed agents", { timeout: 30_000 }, () => {
  it("answers with A2A errors on the card URL and both transports, never 500", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const shy = await k.agent("shy", { expose: false });
    const quiet = await k.agent("quiet", { expose: null });
    const stranger = agentUrls(k.gateway!.url, generateKeyPair().did).base;
    const known = await client(bob.base, "JSONRPC");

    for (const [base, reason] of [
      [stranger, "agent_not_found"],
      [shy.base, "agent_not_exposed"],
      [quiet.base, "agent_not_exposed"],
      [`${k.gateway!.url}/agents/not-a-did/`, "agent_not_found"],
    ] as const) {
      const cardRes = await fetch(`${base}.well-known/agent-card.json`);
      expect(cardRes.status).toBe(404);
      expect(await cardRes.json()).toMatchObject({
        error: {
          status: expect.any(String),
          details: [
            expect.objectContaining({ reason: "UNSUPPORTED_OPERATION", metadata: expect.objectContaining({ reason }) }),
          ],
        },
      });

      const rpcRes = await fetch(
        `${base}jsonrpc`,
        rpc("SendMessage", { message: { messageId: "m1", role: "ROLE_USER", parts: [{ text: "hi" }] } }),
      );
      expect(rpcRes.status).toBe(200);
      expect(await rpcRes.json()).toMatchObject({
        jsonrpc: "2.0",
        id: 7,
        error: { code: -32004, data: [expect.objectContaining({ metadata: expect.objectContaining({ reason }) })] },
      });

      const restRes = await fetch(`${base}rest/tasks/abc`, { headers: { "A2A-Version": "1.0" } });
      expect(restRes.status).toBe(404);
      expect(await restRes.json()).toMatchObject({
        error: { details: [expect.objectContaining({ metadata: expect.objectContaining({ reason }) })] },
      });

      for (const transport of ["JSONRPC", "HTTP+JSON"] as const) {
        const c = await clientAt(base, transport, known);
        await expect(c.sendMessage(request("echo hi"))).rejects.toMatchObject({
          name: expect.stringContaining("UnsupportedOperationError"),
        });
      }
    }
  });

  it("answers an outage (no registry node) as REGISTRY_UNAVAILABLE, retryable, on the card URL and both transports", async () => {
    await k.start();
    await k.registry!.stop();
    const base = agentUrls(k.gateway!.url, generateKeyPair().did).base;
    const outage = expect.objectContaining({
      reason: ErrorCode.RegistryUnavailable,
      domain: PLEXUS_ERROR_DOMAIN,
      metadata: expect.objectContaining({ retryable: "true" }),
    });
    const cardRes = await fetch(`${base}.well-known/agent-card.json`);
    expect(cardRes.status).toBe(httpStatusFor(ErrorCode.RegistryUnavailable));
    expect(await cardRes.json()).toMatchObject({
      error: { status: "UNAVAILABLE", message: expect.stringContaining("registry"), details: [outage] },
    });
    const restRes = await fetch(`${base}rest/tasks/abc`, { headers: { "A2A-Version": "1.0" } });
    expect(restRes.status).toBe(503);
    expect(await restRes.json()).toMatchObject({ error: { code: 503, details: [outage] } });
    const rpcRes = await fetch(`${base}jsonrpc`, rpc("GetTask", { id: "x" }));
    expect(rpcRes.status).toBe(200);
    expect(await rpcRes.json()).toMatchObject({
      error: {
        code: jsonRpcCodeFor(ErrorCode.RegistryUnavailable),
        message: expect.stringContaining("registry"),
        data: [outage],
      },
    });
  });

  it("stops serving an agent that left the mesh", async () => {
    await k.start({ directoryCacheMs: 0 });
    const bob = await k.agent("bob");
    expect((await fetch(`${bob.base}.well-known/agent-card.json`)).status).toBe(200);
    await bob.agent.leave();
    await until(
      async () => (await fetch(`${bob.base}.well-known/agent-card.json`)).status === 404,
      5_000,
      "the card to go",
    );
  });

  it("lists the agents it serves", async () => {
    await k.start();
    const bob = await k.agent("bob");
    await k.agent("shy", { expose: false });
    const res = await fetch(`${k.gateway!.url}/agents`);
    const body = (await res.json()) as { gateway: string; agents: { did: string; url: string; card: string }[] };
    expect(body.gateway).toBe(k.gateway!.did);
    expect(body.agents).toEqual([
      expect.objectContaining({ did: bob.key.did, url: bob.base, card: `${bob.base}.well-known/agent-card.json` }),
    ]);
  });
});

describe("protocol edges", { timeout: 30_000 }, () => {
  it("refuses a call without the A2A-Version 1.0 header, malformed JSON and unsupported operations in A2A terms", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const noVersion = await fetch(`${bob.base}jsonrpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }),
    });
    expect(await noVersion.json()).toMatchObject({ error: { code: -32009 } });
    const garbage = await fetch(`${bob.base}jsonrpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(garbage.status).toBe(200);
    expect(await garbage.json()).toMatchObject({ error: { code: -32700 } });
    const list = await fetch(`${bob.base}jsonrpc`, rpc("ListTasks", {}));
    expect(await list.json()).toMatchObject({ error: { code: -32004 } });
    const push = await fetch(`${bob.base}rest/tasks/x/pushNotificationConfigs`, { headers: { "A2A-Version": "1.0" } });
    expect(push.status).toBe(400);
    const badRoute = await fetch(`${bob.base}rest/nothing-here`, { headers: { "A2A-Version": "1.0" } });
    expect(badRoute.status).toBe(404);
    const restNoMessage = await fetch(`${bob.base}rest/message:send`, {
      method: "POST",
      headers: { "content-type": "application/json", "A2A-Version": "1.0" },
      body: "{}",
    });
    expect(restNoMessage.status).toBe(400);
  });

  it("refuses a message too large for one mesh envelope, and a body too large to read", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, "JSONRPC");
    await expect(c.sendMessage(request("x".repeat(200_000)))).rejects.toMatchObject({
      name: expect.stringContaining("RequestMalformedError"),
    });
    const huge = await fetch(`${bob.base}rest/message:send`, {
      method: "POST",
      headers: { "content-type": "application/json", "A2A-Version": "1.0" },
      body: JSON.stringify({ pad: "y".repeat(1_100_000) }),
    });
    expect(huge.status).toBe(413);
  });

  it("refuses to subscribe to a finished task", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, "HTTP+JSON");
    const task = (await c.sendMessage(request("echo done"))) as Task;
    const events = c.resubscribeTask({ tenant: "", id: task.id });
    await expect(events.next()).rejects.toThrow(/terminal state/);
  });

  it("names the caller in the forwarded message: address, user agent, the subject of its bearer token, never the token", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const claims = Buffer.from(JSON.stringify({ sub: "alice@example.com", secret: "s3cr3t" })).toString("base64url");
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${claims}.c2lnbmF0dXJl`;
    const res = await fetch(
      `${bob.base}jsonrpc`,
      rpc(
        "SendMessage",
        { message: { messageId: "m-auth", role: "ROLE_USER", parts: [{ text: "echo hi" }] } },
        { authorization: `Bearer ${jwt}`, "user-agent": "test-agent/1.0", "x-forwarded-for": "203.0.113.9" },
      ),
    );
    expect(await res.json()).toMatchObject({ result: { task: { status: { state: "TASK_STATE_COMPLETED" } } } });
    const forwarded = bob.seen[0]!;
    expect(forwarded.body).toMatchObject({
      caller: {
        transport: "JSONRPC",
        address: "127.0.0.1",
        userAgent: "test-agent/1.0",
        forwardedFor: "203.0.113.9",
        auth: { scheme: "Bearer", subject: "alice@example.com" },
      },
    });
    expect(JSON.stringify(forwarded.body)).not.toContain(jwt.split(".")[2]);
    expect(JSON.stringify(forwarded.body)).not.toContain("s3cr3t");
  });
});

describe("the task follows the mesh", { timeout: 30_000 }, () => {
  it("fails the task when the agent's handler gives up on the message (its failed receipt)", async () => {
    await k.start();
    const key = generateKeyPair();
    const agent = await Agent.connect({ key, nats: server.url, mesh: k.mesh, maxAttempts: 1 });
    try {
      await agent.join(card("brittle"));
      await agent.listen(() => {
        throw new Error("boom");
      });
      const c = await client(agentUrls(k.gateway!.url, key.did).base, "JSONRPC");
      const task = (await c.sendMessage(request("anything"))) as Task;
      expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(task.status?.message?.parts[0]?.content).toMatchObject({
        $case: "text",
        value: expect.stringContaining("boom"),
      });
    } finally {
      await agent.close();
    }
  });

  it("keeps tasks across a gateway restart: replies stored while it was down complete them", async () => {
    await k.start();
    const carol = await k.agent("carol", { listen: false });
    await carol.agent.close();
    const first = k.gateway!;
    const task = (await (await client(carol.base, "JSONRPC", true)).sendMessage(request("echo still here"))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_SUBMITTED);
    await first.stop();

    const seen: import("@plexus/sdk").Delivery[] = [];
    await k.revive(carol.key, seen);
    await until(() => seen.length === 1, 10_000, "the agent to answer"); // its reply waits for the gateway in the mesh stream

    const second = await k.startGateway();
    expect(second.did).toBe(first.did);
    const c = await client(agentUrls(second.url, carol.key.did).base, "HTTP+JSON");
    await until(
      async () => (await c.getTask({ tenant: "", id: task.id })).status?.state === TaskState.TASK_STATE_COMPLETED,
      10_000,
      "the task to complete",
    );
    const done = await c.getTask({ tenant: "", id: task.id });
    expect(done.history.map((m) => m.parts[0]?.content)).toEqual([
      { $case: "text", value: "echo still here" },
      { $case: "text", value: "still here" },
    ]);
  });

  it("answers many concurrent callers, each with its own task and conversation", async () => {
    await k.start();
    const bob = await k.agent("bob");
    const c = await client(bob.base, "JSONRPC");
    const tasks = (await Promise.all(
      Array.from({ length: 32 }, (_, i) => c.sendMessage(request(`echo n${i}`))),
    )) as Task[];
    expect(tasks.map((t) => t.status?.state)).toEqual(Array(32).fill(TaskState.TASK_STATE_COMPLETED));
    expect(tasks.map((t) => t.status?.message?.parts[0]?.content)).toEqual(
      Array.from({ length: 32 }, (_, i) => ({ $case: "text", value: `n${i}` })),
    );
    expect(new Set(bob.seen.map((d) => d.conversation)).size).toBe(32);
  });

  it("returns a still-running task when a blocking call waits longer than the gateway allows", async () => {
    await k.start({ blockingTimeoutMs: 200 });
    const bob = await k.agent("bob");
    const c = await client(bob.base, "JSONRPC");
    const started = Date.now();
    const task = (await c.sendMessage({
      tenant: "",
      message: userMessage("hang"),
      configuration: undefined,
      metadata: undefined,
    })) as Task;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(task.status?.state);
  });
});
