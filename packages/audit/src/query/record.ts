/**
 * What a log event holds, for queries: an envelope (message, reply, receipt), a rejection record, a dead letter, or
 * something else; with the agents, conversation and type it concerns.
 */
import { parseJson, type DeadLetterRecord, type Envelope, type RejectionRecord } from "@plexus/core";

export type AuditRecordKind = "envelope" | "rejected" | "dead_letter" | "other";

export interface Facts {
  kind: AuditRecordKind;
  /** DIDs the event concerns: sender and recipient; for records also the consumer that kept them. */
  agents: string[];
  conversation?: string;
  type?: string;
  envelope?: Envelope;
  record?: RejectionRecord | DeadLetterRecord;
  /** The parsed payload when it is neither an envelope nor a record (JSON), for `other`. */
  payload?: unknown;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function isEnvelope(v: unknown): v is Envelope {
  return (
    isObj(v) &&
    typeof v["id"] === "string" &&
    typeof v["from"] === "string" &&
    typeof v["type"] === "string" &&
    typeof v["sig"] === "string"
  );
}

function envelopeFacts(env: Envelope): Pick<Facts, "agents" | "conversation" | "type"> {
  return {
    agents: [env.from, ...(env.to !== undefined ? [env.to] : [])],
    ...(env.conversation !== undefined ? { conversation: env.conversation } : {}),
    type: env.type,
  };
}

/** The refused envelope inside a rejection record (its first 4 KiB, base64), when it parses. */
function refusedEnvelope(record: Obj): Envelope | undefined {
  const raw = str(record["raw"]);
  if (raw === undefined || record["truncated"] === true) return undefined;
  const read = parseJson(Buffer.from(raw, "base64"));
  return read.ok && isEnvelope(read.value) ? read.value : undefined;
}

/** The agents named by a message subject `plexus.<mesh>.acp.<kind>.<target>.<from>` (the target unless a topic). */
function subjectAgents(subject: string | undefined): string[] {
  const parts = subject?.split(".") ?? [];
  if (parts.length !== 6 || parts[2] !== "acp") return [];
  const from = `did:key:${parts[5]}`;
  return parts[3] === "topic" ? [from] : [`did:key:${parts[4]}`, from];
}

export function factsOf(data: Uint8Array): Facts {
  // Anyone may have written these bytes: read under the mesh's JSON limits, or not at all.
  const read = parseJson(data);
  if (!read.ok) return { kind: "other", agents: [] };
  const v = read.value;
  if (isEnvelope(v)) return { kind: "envelope", envelope: v, ...envelopeFacts(v) };
  if (!isObj(v)) return { kind: "other", agents: [], payload: v };
  const consumer = str(v["consumer"]);
  if (isEnvelope(v["envelope"]) && consumer !== undefined && typeof v["reason"] === "string") {
    const env = v["envelope"];
    const facts = envelopeFacts(env);
    return {
      kind: "dead_letter",
      record: v as unknown as DeadLetterRecord,
      envelope: env,
      ...facts,
      agents: [...facts.agents, consumer],
    };
  }
  if (typeof v["reason"] === "string" && typeof v["streamSeq"] === "number" && consumer !== undefined) {
    const env = refusedEnvelope(v);
    const from = str(v["from"]);
    const facts = env ? envelopeFacts(env) : { agents: [] };
    const agents = [...facts.agents, ...(from ? [from] : []), ...subjectAgents(str(v["subject"])), consumer];
    return {
      kind: "rejected",
      record: v as unknown as RejectionRecord,
      ...(env ? { envelope: env } : {}),
      ...facts,
      agents,
    };
  }
  const agents = ["agent", "did", "from", "to"].map((k) => str(v[k])).filter((s): s is string => s !== undefined);
  const type = str(v["type"]);
  const conversation = str(v["conversation"]);
  return {
    kind: "other",
    agents,
    payload: v,
    ...(type !== undefined ? { type } : {}),
    ...(conversation !== undefined ? { conversation } : {}),
  };
}
