/**
 * A mesh per test with a registry node, a gateway, and mesh agents that opt in to A2A and answer by convention. The
 * gateway's tests live here, above the registry, because they start registry nodes (tests/layers.test.ts).
 */
import { ClientFactory, ClientFactoryOptions, type Client } from "@a2a-js/sdk/client";
import { Role, type Message } from "@a2a-js/sdk";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { startRegistryNode, type RegistryNode } from "@plexus/registry";
import { Agent, type AgentCard, type Delivery } from "@plexus/sdk";
import { startGateway, type A2AGateway, type ForwardedMessage, type GatewayOptions } from "@plexus/a2a";
import { agentUrls, textPart } from "@plexus/a2a/internal";

let meshCounter = 0;

export function freshMesh(): string {
  return `a${process.pid}-${++meshCounter}`;
}

/** `expose: null` leaves `a2a` out of the card. */
export function card(name: string, expose: boolean | null = true): AgentCard {
  return {
    name,
    description: `${name}, a test agent that answers A2A callers`,
    version: "1.0.0",
    capabilities: [
      { name: "echo", description: "Says back what it is told", input: { type: "string" }, output: { type: "string" } },
      { name: "work" },
    ],
    tags: ["test"],
    ...(expose === null ? {} : { a2a: { expose } }),
  };
}

/** The script every test agent follows, by the text it is sent. */
export async function scripted(agent: Agent, d: Delivery, seen: Delivery[]): Promise<void> {
  seen.push(d);
  if (d.type !== "a2a.message") return;
  const text = (d.body as ForwardedMessage).text;
  const [verb, ...rest] = text.split(" ");
  const arg = rest.join(" ");
  switch (verb) {
    case "echo":
      await agent.reply(d, arg);
      return;
    case "hello":
      await agent.reply(d, { kind: "message", text: `hello, ${arg}` });
      return;
    case "work":
      await agent.reply(d, { state: "working", text: "on it" });
      await new Promise((r) => setTimeout(r, 50));
      await agent.reply(d, { state: "completed", text: "done", artifacts: [{ name: "result", data: { n: 42 } }] });
      return;
    case "ask":
      await agent.reply(d, { state: "input-required", text: "which colour?" });
      return;
    case "fail":
      await agent.reply(d, { state: "failed", text: "cannot do that" });
      return;
    case "hang":
      return;
    default:
      await agent.reply(d, { state: "completed", text: `you said: ${text}` });
  }
}

export function userMessage(text: string, extra: Partial<Message> = {}): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
    ...extra,
  };
}

/** A SendMessageRequest for the SDK's client. */
export function request(text: string, extra: Partial<Message> = {}) {
  return { tenant: "", message: userMessage(text, extra), configuration: undefined, metadata: undefined };
}

export type Transport = "JSONRPC" | "HTTP+JSON";

export function client(base: string, transport: Transport, polling = false): Promise<Client> {
  const options = ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    preferredTransports: [transport],
    clientConfig: { polling },
  });
  return new ClientFactory(options).createFromUrl(base);
}

export interface TestAgent {
  agent: Agent;
  key: KeyPair;
  seen: Delivery[];
  base: string;
}

/** Registry, gateway and agents of one test; `close()` stops them all. */
export function kit(url: () => string) {
  const closers: (() => Promise<unknown>)[] = [];
  return {
    mesh: "",
    registry: undefined as RegistryNode | undefined,
    gateway: undefined as A2AGateway | undefined,
    gatewayKey: generateKeyPair(),
    async start(options: Partial<GatewayOptions> = {}): Promise<A2AGateway> {
      this.mesh = freshMesh();
      const registry = await startRegistryNode({
        nats: url(),
        mesh: this.mesh,
        key: generateKeyPair(),
        http: false,
        refreshMs: 0,
      });
      closers.push(() => registry.stop());
      this.registry = registry;
      return this.startGateway(options);
    },
    async startGateway(options: Partial<GatewayOptions> = {}): Promise<A2AGateway> {
      const gateway = await startGateway({
        nats: url(),
        mesh: this.mesh,
        key: this.gatewayKey,
        http: { host: "127.0.0.1", port: 0 },
        blockingTimeoutMs: 10_000,
        ...options,
      });
      closers.push(() => gateway.stop());
      this.gateway = gateway;
      return gateway;
    },
    /** An agent that joins with its card and follows the script (unless `listen` is false). */
    async agent(
      name: string,
      o: { expose?: boolean | null; key?: KeyPair; listen?: boolean } = {},
    ): Promise<TestAgent> {
      const key = o.key ?? generateKeyPair();
      const agent = await Agent.connect({ key, nats: url(), mesh: this.mesh });
      closers.push(() => agent.close());
      await agent.join(card(name, o.expose ?? (o.expose === null ? null : true)));
      const seen: Delivery[] = [];
      if (o.listen !== false) await agent.listen((d) => scripted(agent, d, seen));
      return { agent, key, seen, base: agentUrls(this.gateway!.url, key.did).base };
    },
    /** The same identity again, listening (an agent coming back online). */
    async revive(key: KeyPair, seen: Delivery[] = []): Promise<Agent> {
      const agent = await Agent.connect({ key, nats: url(), mesh: this.mesh });
      closers.push(() => agent.close());
      await agent.listen((d) => scripted(agent, d, seen));
      return agent;
    },
    async close(): Promise<void> {
      for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    },
  };
}
