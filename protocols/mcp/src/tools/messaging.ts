/** send_message, read_inbox and rate_agent: what the identity behind the server does in the mesh. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Rating } from "@plexus/anp";
import { newId } from "@plexus/core";
import type { McpIdentity, McpMessage } from "../backend.js";
import { guarded, success } from "../results.js";
import { rateInput, rateOutput, readInboxInput, readInboxOutput, sendInput, sendOutput } from "../schemas.js";

const DEFAULT_REPLY_TIMEOUT_SECONDS = 30;
const DEFAULT_INBOX_MAX = 10;
const BODY_PREVIEW = 300;

export function registerMessagingTools(server: McpServer, identity: McpIdentity): void {
  server.registerTool(
    "send_message",
    {
      title: "Send a message",
      description:
        `Send a signed direct message as ${identity.did} to an agent's durable inbox (it gets the message even if offline). ` +
        "With await_reply: true, wait for the agent's reply in the same conversation and return it. Returns the conversation id either way.",
      inputSchema: sendInput,
      outputSchema: sendOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const conversation = args.conversation ?? newId();
        const options = { conversation, ...(args.type !== undefined ? { type: args.type } : {}) };
        if (args.await_reply === true) {
          const timeoutMs = (args.timeout_seconds ?? DEFAULT_REPLY_TIMEOUT_SECONDS) * 1000;
          const reply = await identity.request(args.to, args.body, { ...options, timeoutMs });
          const text = `Reply from ${reply.from} (type ${reply.type}, conversation ${conversation}): ${preview(reply.body)}`;
          return success(text, { id: reply.replyTo ?? reply.id, conversation, reply });
        }
        const sent = await identity.send(args.to, args.body, options);
        const text = `Stored message ${sent.id} for ${args.to} in conversation ${conversation}; the recipient gets it from its inbox (use read_inbox for answers sent to you).`;
        return success(text, { id: sent.id, conversation });
      }),
  );

  server.registerTool(
    "read_inbox",
    {
      title: "Read the inbox",
      description:
        `Read direct messages sent to ${identity.did}, oldest first, including those that arrived while no one was reading. ` +
        "Each message returned is acknowledged (its sender gets a signed processed receipt) and is not returned again.",
      inputSchema: readInboxInput,
      outputSchema: readInboxOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const messages = await identity.readInbox({
          max: args.max ?? DEFAULT_INBOX_MAX,
          waitMs: (args.wait_seconds ?? 0) * 1000,
        });
        return success(inboxText(messages), { messages });
      }),
  );

  server.registerTool(
    "rate_agent",
    {
      title: "Rate an agent",
      description:
        "Rate another agent's part in a conversation you had with it (0 bad .. 1 excellent), feeding its reputation. " +
        "The registry refuses it (no_conversation) unless the mesh log holds messages both ways between you in that conversation; you cannot rate yourself.",
      inputSchema: rateInput,
      outputSchema: rateOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const rating: Rating = {
          ratee: args.did,
          conversation: args.conversation,
          score: args.score,
          ...(args.factor !== undefined ? { factor: args.factor } : {}),
          ...(args.comment !== undefined ? { comment: args.comment } : {}),
        };
        const { seq } = await identity.rate(rating);
        const factor = args.factor ?? "quality";
        const text = `Rated ${args.did} ${args.score} for ${factor} in conversation ${args.conversation} (log position ${seq}).`;
        return success(text, { ratee: args.did, conversation: args.conversation, score: args.score, factor, seq });
      }),
  );
}

function preview(body: unknown): string {
  const json = JSON.stringify(body) ?? "null";
  return json.length > BODY_PREVIEW ? `${json.slice(0, BODY_PREVIEW - 1)}…` : json;
}

function inboxText(messages: readonly McpMessage[]): string {
  if (messages.length === 0) return "No message in the inbox.";
  const lines = messages.map(
    (m) =>
      `- from ${m.from}, type ${m.type}, conversation ${m.conversation ?? "none"}${m.redelivered ? " (redelivered)" : ""}: ${preview(m.body)}`,
  );
  return `${messages.length} message${messages.length === 1 ? "" : "s"}:\n${lines.join("\n")}`;
}
