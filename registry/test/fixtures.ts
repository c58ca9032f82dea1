import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { Agent, type AgentCard, type Delivery } from "@plexus/sdk";
import type { TestServerHandle } from "@plexus/testing";
import { startRegistryNode, type RegistryNode, type RegistryNodeOptions } from "../src/index.js";

let meshCounter = 0;

/** A mesh of its own per test, so tests sharing a server never see each other's state. */
export function freshMesh(): string {
  return `r${process.pid}-${++meshCounter}`;
}

export function card(name: string, capabilities: string[] = ["echo"], extra: Partial<AgentCard> = {}): AgentCard {
  return {
    name,
    description: `${name}, a test agent`,
    version: "1.0.0",
    capabilities: capabilities.map((c) => ({ name: c, input: { type: "object" }, output: { type: "object" } })),
    tags: ["test"],
    ...extra,
  };
}

/** Registry nodes and agents of one test; `close()` stops them all, agents first. */
export function meshKit(url: () => string) {
  const nodes: RegistryNode[] = [];
  const agents: Agent[] = [];
  return {
    registryKey: generateKeyPair(),
    async node(mesh: string, options: Partial<RegistryNodeOptions> = {}): Promise<RegistryNode> {
      const node = await startRegistryNode({
        nats: url(),
        mesh,
        key: this.registryKey,
        http: false,
        refreshMs: 0,
        ...options,
      });
      nodes.push(node);
      return node;
    },
    async agent(mesh: string, key: KeyPair = generateKeyPair()): Promise<Agent> {
      const agent = await Agent.connect({ key, nats: url(), mesh });
      agents.push(agent);
      return agent;
    },
    forget(node: RegistryNode): void {
      nodes.splice(nodes.indexOf(node), 1);
    },
    async close(): Promise<void> {
      await Promise.allSettled(agents.splice(0).map((a) => a.close()));
      await Promise.allSettled(nodes.splice(0).map((n) => n.stop()));
    },
  };
}

/**
 * Registry nodes and agents on a NATS server in operator mode (what `plexus up` runs): each node holds the mesh's
 * service credentials, each agent connects as the bootstrap user and gets its own user JWT. `close()` stops them all.
 */
export function operatorKit(nats: TestServerHandle) {
  const nodes: RegistryNode[] = [];
  const agents: Agent[] = [];
  return {
    async node(
      mesh: string,
      key: KeyPair = generateKeyPair(),
      options: Partial<RegistryNodeOptions> = {},
    ): Promise<RegistryNode> {
      const n = await startRegistryNode({
        nats: nats.url,
        mesh,
        key,
        http: false,
        refreshMs: 0,
        natsAuth: await nats.server.auth.mesh(mesh),
        ...options,
      });
      nodes.push(n);
      return n;
    },
    async agent(mesh: string, key: KeyPair = generateKeyPair()): Promise<Agent> {
      const auth = await nats.server.auth.mesh(mesh);
      const a = await Agent.connect({ key, nats: nats.url, mesh, natsAuth: { bootstrapCreds: auth.bootstrapCreds } });
      agents.push(a);
      return a;
    },
    /** An agent made elsewhere (rotateKey's successor), closed with the rest. */
    adopt(agent: Agent): Agent {
      agents.push(agent);
      return agent;
    },
    async close(): Promise<void> {
      await Promise.allSettled(agents.splice(0).map((a) => a.close()));
      await Promise.allSettled(nodes.splice(0).map((n) => n.stop()));
    },
  };
}

/** One exchange in its own conversation: `from` asks, `to` answers (a reply naming the request). */
export async function converse(from: Agent, to: Agent, conversation: string): Promise<void> {
  const sent = await from.send(to.did, { ask: conversation }, { conversation });
  await to.reply({ from: from.did, id: sent.id, conversation } as Delivery, { answer: conversation });
}
