/**
 * Outbound: a mesh agent calls an outside A2A agent (a tiny server made with @a2a-js/sdk's own Express adapter) with
 * agent.a2a.send, and the exchange is in the mesh log as two envelopes the agent signed, in one conversation.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role, TaskState, type AgentCard, type Message, type Task } from "@a2a-js/sdk";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { agentToken, ErrorCode, MessageKind, meshSubjects, type Envelope } from "@plexus/core";
import { generateKeyPair, verifyEnvelope } from "@plexus/identity";
import { Agent, A2A_OUTBOUND_TOPIC, isPlexusError } from "@plexus/sdk";
import { useTestServer } from "@plexus/testing";
import { freshMesh } from "./fixtures.js";
import { artifact, textPart } from "@plexus/a2a/internal";

const server = useTestServer();

/** An outside A2A agent: "task …" answers with a completed task and an artifact, anything else with a message. */
function outsideAgent(base: () => string, seenAuth: string[]) {
  const card = (): AgentCard => ({
    name: "outside",
    description: "An A2A agent outside the mesh",
    supportedInterfaces: [
      { url: `${base()}/a2a/jsonrpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" },
      { url: `${base()}/a2a/rest`, protocolBinding: "HTTP+JSON", tenant: "", protocolVersion: "1.0" },
    ],
    provider: undefined,
    version: "0.1.0",
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [],
    signatures: [],
  });
  const executor: AgentExecutor = {
    async execute(ctx, bus) {
      const said = ctx.userMessage.parts
        .flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : []))
        .join(" ");
      const reply = (text: string): Message => ({
        messageId: crypto.randomUUID(),
        contextId: ctx.contextId,
        taskId: "",
        role: Role.ROLE_AGENT,
        parts: [textPart(text)],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      });
      if (!said.startsWith("task")) {
        bus.publish(AgentEvent.message(reply(`echo: ${said}`)));
      } else {
        const status = {
          state: TaskState.TASK_STATE_COMPLETED,
          message: { ...reply("finished"), taskId: ctx.taskId },
          timestamp: new Date().toISOString(),
        };
        bus.publish(
          AgentEvent.task({
            id: ctx.taskId,
            contextId: ctx.contextId,
            status,
            artifacts: [artifact({ artifactId: "a1", parts: [textPart("the result")] })],
            history: [ctx.userMessage],
            metadata: undefined,
          }),
        );
      }
      bus.finished();
    },
    async cancelTask() {},
  };
  const handler = new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor);
  const userBuilder = async (req: express.Request) => {
    seenAuth.push(req.header("authorization") ?? "");
    return UserBuilder.noAuthentication();
  };
  const app = express();
  app.use("/.well-known/agent-card.json", agentCardHandler({ agentCardProvider: async () => card() }));
  app.use("/a2a/jsonrpc", jsonRpcHandler({ requestHandler: handler, userBuilder }));
  app.use("/a2a/rest", restHandler({ requestHandler: handler, userBuilder }));
  return app;
}

/** The envelopes an agent published on the outbound topic, read straight from the mesh stream. */
async function outboundLog(url: string, mesh: string, did: string): Promise<Envelope[]> {
  const nc = await connect({ servers: url });
  try {
    const subjects = meshSubjects(mesh);
    const consumer = await jetstream(nc).consumers.get(subjects.stream, {
      filter_subjects: [subjects.message(MessageKind.Topic, A2A_OUTBOUND_TOPIC, agentToken(did))],
    });
    const out: Envelope[] = [];
    for await (const m of await consumer.fetch({ max_messages: 100, expires: 1_000 })) {
      out.push(m.json<Envelope>());
      if (m.info.pending === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

describe("agent.a2a.send: calling an outside A2A agent from the mesh", { timeout: 30_000 }, () => {
  let http: Server;
  let base = "";
  const seenAuth: string[] = [];
  beforeAll(async () => {
    const app = outsideAgent(() => base, seenAuth);
    http = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  it.each(["JSONRPC", "HTTP+JSON"] as const)(
    "sends a message over %s, gets the answer, and records both in the mesh log",
    async (transport) => {
      const mesh = freshMesh();
      const agent = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh });
      try {
        const exchange = await agent.a2a.send(base, "hello outside", {
          transport,
          headers: { authorization: "Bearer not-for-the-log" },
        });
        expect(exchange.text).toBe("echo: hello outside");
        expect("messageId" in exchange.result).toBe(true);
        expect(seenAuth.at(-1)).toBe("Bearer not-for-the-log");

        const log = await outboundLog(server.url, mesh, agent.did);
        expect(log.map((e) => [e.type, e.id])).toEqual([
          ["a2a.outbound.request", exchange.recorded.request],
          ["a2a.outbound.response", exchange.recorded.response],
        ]);
        for (const e of log) {
          expect(e.from).toBe(agent.did);
          expect(e.conversation).toBe(exchange.conversation);
          expect(verifyEnvelope(e).ok).toBe(true);
        }
        expect(log[0]!.body).toMatchObject({
          url: base,
          agent: "outside",
          transport,
          message: { role: "ROLE_USER", parts: [{ text: "hello outside" }] },
        });
        expect(log[1]!.body).toMatchObject({
          url: base,
          result: { message: { role: "ROLE_AGENT", parts: [{ text: "echo: hello outside" }] } },
        });
        expect(JSON.stringify(log)).not.toContain("not-for-the-log");
      } finally {
        await agent.close();
      }
    },
  );

  it("gets a task back, with its state and artifacts, in the conversation the caller names", async () => {
    const mesh = freshMesh();
    const agent = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh });
    try {
      const exchange = await agent.a2a.send(
        `${base}/.well-known/agent-card.json`,
        { text: "task please" },
        { conversation: "outbound-1" },
      );
      expect(exchange.state).toBe("TASK_STATE_COMPLETED");
      expect((exchange.result as Task).artifacts[0]?.artifactId).toBe("a1");
      expect(exchange.text).toBe("finished\nthe result");
      const log = await outboundLog(server.url, mesh, agent.did);
      expect(log.map((e) => e.conversation)).toEqual(["outbound-1", "outbound-1"]);
      expect(log[1]!.body).toMatchObject({
        result: { task: { status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ artifactId: "a1" }] } },
      });
    } finally {
      await agent.close();
    }
  });

  it("records a failed call and throws REQUEST_REFUSED", async () => {
    const mesh = freshMesh();
    const agent = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh });
    try {
      const err = await agent.a2a.send("http://127.0.0.1:1/", "anyone?").catch((e: unknown) => e);
      expect(isPlexusError(err, ErrorCode.RequestRefused)).toBe(true);
      const log = await outboundLog(server.url, mesh, agent.did);
      expect(log.map((e) => e.type)).toEqual(["a2a.outbound.error"]);
      expect(log[0]!.body).toMatchObject({ url: "http://127.0.0.1:1/", error: { message: expect.any(String) } });
    } finally {
      await agent.close();
    }
  });
});
