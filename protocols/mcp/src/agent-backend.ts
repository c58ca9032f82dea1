/**
 * The backend for an agent identity over NATS (what `plexus mcp --as NAME` serves over stdio): the registry through
 * the agent's RegistryClient, messaging and rating as the agent, its inbox through an InboxReader, and the audit
 * verifier when one is given.
 */
import type { Agent } from "@plexus/sdk";
import type { McpAudit, McpBackend, McpIdentity } from "./backend.js";
import { InboxReader, toMcpMessage } from "./inbox.js";

/** The parts of an Agent the backend uses. */
export type AgentLike = Pick<Agent, "did" | "mesh" | "registry" | "send" | "request" | "listen" | "rate">;

export interface AgentBackendOptions {
  agent: AgentLike;
  audit?: McpAudit;
}

export interface AgentBackend extends McpBackend {
  readonly identity: McpIdentity;
  /** Stops reading the inbox (a message not yet read goes back to the server); does not close the agent. */
  close(): Promise<void>;
}

/** Starts listening on the agent's inbox and returns the backend. */
export async function createAgentBackend(options: AgentBackendOptions): Promise<AgentBackend> {
  const { agent } = options;
  const inbox = new InboxReader((handler) => agent.listen(handler));
  await inbox.start();
  const identity: McpIdentity = {
    did: agent.did,
    send: async (to, body, o) => {
      const sent = await agent.send(to, body, o);
      return { id: sent.id, seq: sent.seq };
    },
    request: async (to, body, o) => toMcpMessage(await agent.request(to, body, o)),
    readInbox: (o) => inbox.read(o),
    rate: (rating) => agent.rate(rating),
  };
  return {
    mesh: agent.mesh,
    registry: agent.registry,
    identity,
    ...(options.audit ? { audit: options.audit } : {}),
    close: () => inbox.close(),
  };
}
