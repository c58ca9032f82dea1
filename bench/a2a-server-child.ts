/**
 * The direct A2A baseline's server, in a process of its own: an echo agent built the way @a2a-js/sdk's README builds
 * one (DefaultRequestHandler, InMemoryTaskStore, an AgentExecutor, the SDK's Express adapter), on 127.0.0.1 and a
 * free port. Each message is answered with an A2A Message carrying "echo: <its text>".
 * Started by bench/a2a.ts; prints {ready, url, pid}; "stop" closes the server and exits.
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { Role, type AgentCard, type Message } from "@a2a-js/sdk";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import { serveCommands } from "./a2a-child.js";

let base = "";

const card = (): AgentCard => ({
  name: "echo",
  description: "Says back what it is told (the direct A2A baseline of npm run bench -- a2a)",
  supportedInterfaces: [
    { url: `${base}/a2a/jsonrpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" },
    { url: `${base}/a2a/rest`, protocolBinding: "HTTP+JSON", tenant: "", protocolVersion: "1.0" },
  ],
  provider: undefined,
  version: "1.0.0",
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
      .join("\n");
    const reply: Message = {
      messageId: crypto.randomUUID(),
      contextId: ctx.contextId,
      taskId: "",
      role: Role.ROLE_AGENT,
      parts: [{ content: { $case: "text", value: `echo: ${said}` }, metadata: undefined, filename: "", mediaType: "" }],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
    bus.publish(AgentEvent.message(reply));
    bus.finished();
  },
  async cancelTask() {},
};

const app = express();
const server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
  const s = app.listen(0, "127.0.0.1", (err?: Error) => (err ? reject(err) : resolve(s)));
});
base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
// Mounted once the port is known, so the card the handler holds names the real URLs.
const handler = new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor);
app.use("/.well-known/agent-card.json", agentCardHandler({ agentCardProvider: async () => card() }));
app.use("/a2a/jsonrpc", jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
app.use("/a2a/rest", restHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));

await serveCommands(
  { ready: true, url: base, pid: process.pid },
  async (command) => {
    if (command === "cpu") return { cpu_us: cpuMicros() };
    throw new Error(`unknown command "${command}"`);
  },
  async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  },
);

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
