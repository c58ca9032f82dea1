/**
 * What the MCP server needs from the mesh, and nothing more: registry queries, optionally an identity that acts in
 * the mesh (messaging and rating), optionally an audit verifier. Two implementations ship: one over NATS for an agent
 * (`createAgentBackend`, used by `plexus mcp` over stdio) and one in-process for a registry node
 * (`createQueriesBackend`, served over Streamable HTTP at /mcp, without an identity).
 */
import type { AgentView, Answer, DiscoverQuery, DiscoverResult, Rating, Reputation } from "@plexus/anp";
import type { VerifyReport } from "@plexus/audit";

/** The registry's read side, asynchronous whichever transport answers it. */
export interface McpRegistry {
  agents(options?: { all?: boolean }): Promise<Answer<AgentView[]>>;
  /** Rejects with PlexusError AGENT_NOT_FOUND for a DID the registry never admitted. */
  agent(did: string): Promise<Answer<AgentView>>;
  discover(query: DiscoverQuery): Promise<Answer<DiscoverResult[]>>;
  /** Rejects with PlexusError AGENT_NOT_FOUND for a DID the registry never admitted. */
  reputation(did: string): Promise<Answer<Reputation>>;
}

/** A message as the MCP tools hand it out. */
export interface McpMessage {
  id: string;
  from: string;
  to: string | null;
  type: string;
  conversation: string | null;
  replyTo: string | null;
  body: unknown;
  /** Sender's timestamp, ms since the epoch. */
  ts: number;
  /** This message was handed out before (a previous session did not finish reading it). */
  redelivered: boolean;
}

export interface McpSendOptions {
  type?: string;
  conversation: string;
}

/** The agent identity the MCP client acts as. */
export interface McpIdentity {
  readonly did: string;
  /** Resolves once the mesh stored the message. */
  send(to: string, body: unknown, options: McpSendOptions): Promise<{ id: string; seq: number }>;
  /** Sends and resolves with the reply in the same conversation; rejects with PlexusError TIMEOUT. */
  request(to: string, body: unknown, options: McpSendOptions & { timeoutMs: number }): Promise<McpMessage>;
  /** Up to `max` inbox messages, acknowledged as they are handed out; waits up to `waitMs` for the first one. */
  readInbox(options: { max: number; waitMs: number }): Promise<McpMessage[]>;
  /** Rejects with PlexusError REQUEST_REFUSED (details.reason) when the registry refuses the rating. */
  rate(rating: Rating): Promise<{ seq: number }>;
}

export interface AuditRange {
  from?: number;
  to?: number;
}

export interface McpAudit {
  /** Recomputes the audit chain over the range against the mesh log and checks the signed checkpoints. */
  verify(range: AuditRange): Promise<VerifyReport>;
}

export interface McpBackend {
  readonly mesh: string;
  readonly registry: McpRegistry;
  /** Present when the server acts as an agent: send_message, read_inbox and rate_agent exist only then. */
  readonly identity?: McpIdentity;
  /** Present where the mesh has an audit chain: verify_audit exists only then. */
  readonly audit?: McpAudit;
}
