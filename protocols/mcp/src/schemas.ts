/**
 * The tools' input and output schemas (zod, turned into JSON Schema by the MCP SDK). Precise on purpose: an LLM
 * fills arguments from these descriptions, patterns, ranges and enums alone.
 */
import * as z from "zod";
import { FACTORS, LIVENESS_STATES } from "@plexus/anp";

/** An Ed25519 did:key, the only kind of DID an agent of the mesh has. */
export const DID_PATTERN = /^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/;
/** The envelope schema's patterns (schemas/envelope.json). */
export const TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
export const CONVERSATION_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** MCP clients usually give up on a call after 60 s; waits stay below that. */
export const MAX_WAIT_SECONDS = 55;
export const MAX_INBOX_READ = 100;
export const MAX_COMMENT = 1000;

export const did = (what: string) =>
  z
    .string()
    .regex(DID_PATTERN, "must be an agent DID: did:key:z6Mk followed by 44 base58 characters")
    .describe(`${what}: a did:key (did:key:z6Mk…), as discover_agents returns it`);

const conversation = (what: string) =>
  z.string().regex(CONVERSATION_PATTERN, "must be 1-128 of A-Z a-z 0-9 . _ : -").describe(what);
const text = (what: string, max = 200) => z.string().trim().min(1, "must not be empty").max(max).describe(what);

export const discoverInput = {
  capability: text('Only agents that declare this capability name exactly (such as "summarise")').optional(),
  query: text("Free text matched against agent names, descriptions, capabilities and tags").optional(),
  tag: text("Only agents with this tag").optional(),
  min_score: z
    .number()
    .min(0)
    .max(1)
    .describe("Only agents whose reputation score (0..1, 0.5 = neutral newcomer) is at least this")
    .optional(),
  include_offline: z
    .boolean()
    .describe("Also list offline and gone agents (default false: only alive and suspect ones)")
    .optional(),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .describe("At most this many results, best first (default: the registry's, 20)")
    .optional(),
  verified_only: z
    .boolean()
    .describe(
      "Only agents whose matched capability (the capability filter, else any of theirs) is attested by a live capability credential from some issuer, not just self-declared (default false)",
    )
    .optional(),
  issuer: did("Only capabilities attested by this issuer (implies verified_only)").optional(),
};

export const getAgentInput = { did: did("The agent to look up") };

export const sendInput = {
  to: did("The recipient agent"),
  body: z
    .unknown()
    .describe(
      "The message body: any JSON value (object, array, string, number, boolean or null), as the recipient's capability expects it",
    ),
  type: z
    .string()
    .regex(TYPE_PATTERN, "must be 1-128 of A-Z a-z 0-9 . _ / -, starting with a letter or digit")
    .describe('Message type, such as task.request (default "message")')
    .optional(),
  conversation: conversation(
    "Conversation id to continue; a new one is made when omitted (returned either way; needed for rate_agent)",
  ).optional(),
  await_reply: z
    .boolean()
    .describe(
      "Wait for the recipient's reply in the same conversation and return it (default false: return once the mesh stored the message)",
    )
    .optional(),
  timeout_seconds: z
    .number()
    .min(1)
    .max(MAX_WAIT_SECONDS)
    .describe(`With await_reply: how long to wait for the reply, in seconds (default 30, at most ${MAX_WAIT_SECONDS})`)
    .optional(),
};

export const readInboxInput = {
  max: z
    .number()
    .int()
    .min(1)
    .max(MAX_INBOX_READ)
    .describe(`At most this many messages (default 10, at most ${MAX_INBOX_READ})`)
    .optional(),
  wait_seconds: z
    .number()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .describe(`When the inbox is empty, wait this long for a message, in seconds (default 0: return at once)`)
    .optional(),
};

export const rateInput = {
  did: did("The agent to rate"),
  conversation: conversation(
    "A conversation you had with that agent: the mesh log must hold a message from you to it and one from it to you in it",
  ),
  score: z.number().min(0).max(1).describe("0 (bad) to 1 (excellent)"),
  factor: z.enum(FACTORS).describe("What is rated (default quality)").optional(),
  comment: z.string().max(MAX_COMMENT).describe(`A short comment, up to ${MAX_COMMENT} characters`).optional(),
};

export const verifyAuditInput = {
  from: z.number().int().min(1).describe("First position of the audit chain to verify (default 1)").optional(),
  to: z.number().int().min(1).describe("Last position to verify (default: the chain's head)").optional(),
};

const factorScores = z.record(
  z.string(),
  z.looseObject({ value: z.number(), evidence: z.number(), weight: z.number() }),
);
const asOf = z
  .looseObject({ seq: z.number(), at: z.number() })
  .describe("The registry's log position and clock the answer was computed at");

const discovered = z.looseObject({
  did: z.string(),
  name: z.string(),
  description: z.string(),
  capabilities: z.array(z.string()),
  tags: z.array(z.string()),
  score: z.number(),
  relevance: z.number(),
  rank: z.number(),
  factors: factorScores,
  newcomer: z.boolean(),
  trust: z
    .number()
    .describe("The agent's trust (0..1): only ratings from trusted raters give it, starting at the operator's anchors"),
  trustSource: z
    .enum(["anchor", "ratings", "none"])
    .describe("Why the trust is what it is: an anchor, ratings by trusted raters, or none"),
  unanchored: z.boolean().describe("True on a mesh without trust anchors: nobody's ratings weigh, scores stay neutral"),
  liveness: z.enum(LIVENESS_STATES),
  claims: z
    .array(
      z.looseObject({
        name: z.string(),
        attested: z.boolean(),
        attestedBy: z.array(z.looseObject({ issuer: z.string(), credentialId: z.string(), expiresAt: z.number() })),
      }),
    )
    .describe("Each capability: self-declared (attested false) or attested by live capability credentials, and by whom")
    .optional(),
});

export const discoverOutput = z.looseObject({
  agents: z.array(discovered).describe("Matching agents, best first"),
  asOf,
});

const message = z.looseObject({
  id: z.string(),
  from: z.string(),
  to: z.string().nullable(),
  type: z.string(),
  conversation: z.string().nullable(),
  replyTo: z.string().nullable(),
  body: z.unknown(),
  ts: z.number(),
  redelivered: z.boolean(),
});

export const getAgentOutput = z.looseObject({
  agent: z.looseObject({
    did: z.string(),
    name: z.string(),
    capabilities: z.array(z.string()),
    card: z.record(z.string(), z.unknown()),
    liveness: z.enum(LIVENESS_STATES),
  }),
  reputation: z.looseObject({
    did: z.string(),
    score: z.number(),
    factors: factorScores,
    trust: z.number(),
    newcomer: z.boolean(),
    anchor: z.boolean(),
    trustSource: z.enum(["anchor", "ratings", "none"]),
    unanchored: z.boolean(),
  }),
  asOf,
});

export const sendOutput = z.looseObject({
  id: z.string().describe("The sent message's id"),
  conversation: z.string().describe("The conversation the message belongs to"),
  reply: message.optional().describe("With await_reply: the reply"),
});

export const readInboxOutput = z.looseObject({ messages: z.array(message) });

export const rateOutput = z.looseObject({
  ratee: z.string(),
  conversation: z.string(),
  score: z.number(),
  factor: z.enum(FACTORS),
  seq: z.number().describe("The rating's position in the mesh log"),
});

export const verifyAuditOutput = z.looseObject({
  ok: z.boolean(),
  from: z.number(),
  verified: z.number().describe("Positions verified and found sound"),
  head: z.looseObject({ size: z.number(), hash: z.string() }).describe("The last sound position and its hash"),
  position: z.number().optional().describe("When not ok: the first bad position"),
  kind: z
    .string()
    .optional()
    .describe(
      "When not ok: altered, missing, inserted, reordered, forked, truncated, checkpoint_mismatch or checkpoint_signature",
    ),
  detail: z.string().optional(),
  checkpoints: z.looseObject({ checked: z.number() }),
});
