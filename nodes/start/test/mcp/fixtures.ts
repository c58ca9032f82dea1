/**
 * A small real mesh for the MCP tests (here, not in protocols/mcp: they need a registry node serving /mcp, and the
 * plexus command for stdio, both above the protocol): a registry node, the audit sealer, a "helper" agent that joined with an echo
 * capability and replies to every message, and the key the MCP server acts as (joined too, so it may rate).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJetStreamAuditStore, startSealer, type Sealer } from "@plexus/audit";
import { connectBus } from "@plexus/bus";
import { generateKeyPair, KeyStore, type KeyPair } from "@plexus/identity";
import { startRegistryNode, type RegistryNode } from "@plexus/registry";
import { loadRegistryMcp } from "../../src/index.js";
import { Agent, type AgentCard, type Delivery } from "@plexus/sdk";

export const MCP_KEY_NAME = "mcpuser";

let counter = 0;

export function card(name: string, capabilities: string[], description = `${name}, a test agent`): AgentCard {
  return {
    name,
    description,
    version: "1.0.0",
    capabilities: capabilities.map((c) => ({
      name: c,
      description: `${c} things`,
      input: { type: "object" },
      output: { type: "object" },
    })),
    tags: ["test"],
  };
}

export interface Mesh {
  mesh: string;
  nats: string;
  keysDir: string;
  node: RegistryNode;
  helper: Agent;
  /** The MCP identity's DID (its key is MCP_KEY_NAME in keysDir). */
  mcpDid: string;
  mcpKey: KeyPair;
  /** Stream positions of the helper's replies, latest last. */
  replies: number[];
  /** Messages the helper received. */
  received: Delivery[];
  /** Another agent, for sending to the MCP identity. */
  agent(): Promise<Agent>;
  close(): Promise<void>;
}

export async function startMesh(nats: string, options: { http: boolean; sealer: boolean }): Promise<Mesh> {
  const mesh = `mcp${process.pid}-${++counter}`;
  const keysDir = await mkdtemp(join(tmpdir(), "plexus-mcp-keys-"));
  const registryKey = generateKeyPair();
  const closers: (() => Promise<unknown>)[] = [() => rm(keysDir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const node = await startRegistryNode({
      nats,
      mesh,
      key: registryKey,
      mcp: await loadRegistryMcp(),
      http: options.http ? { host: "127.0.0.1", port: 0 } : false,
      refreshMs: 0,
    });
    closers.push(() => node.stop());
    if (options.sealer) {
      const nc = await connectBus({ servers: nats, name: "mcp-test sealer" });
      closers.push(() => nc.close());
      const store = await openJetStreamAuditStore({ nc, mesh });
      const sealer: Sealer = await startSealer({ nc, mesh, store, key: registryKey, checkpointIntervalMs: 200 });
      closers.push(() => sealer.stop());
    }
    const agents: Agent[] = [];
    closers.push(() => Promise.allSettled(agents.map((a) => a.close())));
    const connect = async (key: KeyPair = generateKeyPair()) => {
      const a = await Agent.connect({ key, nats, mesh });
      agents.push(a);
      return a;
    };
    const helper = await connect();
    await helper.join(card("helper", ["echo"], "Echoes every task back"));
    const replies: number[] = [];
    const received: Delivery[] = [];
    await helper.listen(async (d) => {
      received.push(d);
      const sent = await helper.reply(d, { echo: d.body });
      replies.push(sent.streamSeq);
    });
    const mcpKey = await new KeyStore(keysDir).create(MCP_KEY_NAME);
    const mcpJoined = await connect(mcpKey);
    await mcpJoined.join(card("mcpuser", ["chat"], "The MCP client's identity"));
    return {
      mesh,
      nats,
      keysDir,
      node,
      helper,
      mcpDid: mcpKey.did,
      mcpKey,
      replies,
      received,
      agent: () => connect(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The first text content of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.find((c) => c.type === "text")?.text ?? "";
}
