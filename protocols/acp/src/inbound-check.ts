import {
  Defaults,
  didOfToken,
  MessageKind,
  MessageType,
  parseJson,
  RejectionReason,
  validateEnvelope,
  type Envelope,
  type MeshSubjects,
} from "@plexus/core";
import { verifyEnvelope } from "@plexus/identity";
import { verifyEnvelopeAsync } from "@plexus/identity/internal";

export interface InboundInput {
  subject: string;
  data: Uint8Array;
  /** When the stream stored the message, ms since the epoch. */
  storedAt: number;
}

export type InboundResult =
  | { ok: true; envelope: Envelope; hash: string; kind: MessageKind }
  | { ok: false; reason: RejectionReason; detail: string; from?: string; id?: string };

export interface InboundCheckOptions {
  subjects: MeshSubjects;
  /** The reading agent's subject token: direct kinds must be addressed to it. */
  me: string;
  maxEnvelopeBytes?: number;
  maxClockSkewMs?: number;
  /** False: leave the verdict's `hash` empty (for an observer that chains nothing; saves a SHA-256 per message). */
  hash?: boolean;
}

type Rejected = Extract<InboundResult, { ok: false }>;

function reject(reason: RejectionReason, detail: string, claimed?: Record<string, unknown>): Rejected {
  const from = typeof claimed?.from === "string" ? claimed.from.slice(0, 100) : undefined;
  const id = typeof claimed?.id === "string" ? claimed.id.slice(0, 40) : undefined;
  return { ok: false, reason, detail, ...(from ? { from } : {}), ...(id ? { id } : {}) };
}

type Prechecked = { ok: true; envelope: Envelope; kind: MessageKind; claimed: Record<string, unknown> } | Rejected;

/**
 * Every check an incoming message passes before a handler may see it, cheapest first, signature last:
 * size, UTF-8 and JSON shape limits (before anything recursive), JSON, signature present, schema, subject agreement,
 * freshness, signature. (Replays need the reader's memory and are checked by the ReplayGuard after this.)
 * Never throws: a failure no rule foresaw is the verdict `unprocessable`, naming it.
 */
export function checkInbound(input: InboundInput, options: InboundCheckOptions): InboundResult {
  try {
    const pre = precheck(input, options);
    if (!pre.ok) return pre;
    return signed(pre, verifyEnvelope(pre.envelope));
  } catch (err) {
    return unprocessable(err);
  }
}

/** `checkInbound` with the signature verified on libuv's thread pool, so many messages verify in parallel. */
export async function checkInboundAsync(input: InboundInput, options: InboundCheckOptions): Promise<InboundResult> {
  try {
    const pre = precheck(input, options);
    if (!pre.ok) return pre;
    return signed(pre, await verifyEnvelopeAsync(pre.envelope, undefined, options.hash !== false));
  } catch (err) {
    return unprocessable(err);
  }
}

/**
 * Every check of `checkInbound` but the signature: for an observer that proves who published a message another way
 * (the registry on a NATS server in operator mode, where each agent's publish subjects are pinned to it). A reader
 * never uses this: the signature is what lets it trust the bytes.
 */
export function checkInboundUnsigned(input: InboundInput, options: InboundCheckOptions): InboundResult {
  try {
    const pre = precheck(input, options);
    return pre.ok ? { ok: true, envelope: pre.envelope, hash: "", kind: pre.kind } : pre;
  } catch (err) {
    return unprocessable(err);
  }
}

/** The verdict for a message whose checking threw: kept and terminated like any other rejection. */
export function unprocessable(err: unknown): Rejected {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { ok: false, reason: RejectionReason.Unprocessable, detail: what.slice(0, 200) };
}

function signed(pre: Prechecked & { ok: true }, verdict: { ok: boolean; hash: string }): InboundResult {
  if (!verdict.ok)
    return reject(RejectionReason.BadSignature, "the signature does not verify with the key of from", pre.claimed);
  return { ok: true, envelope: pre.envelope, hash: verdict.hash, kind: pre.kind };
}

function precheck(input: InboundInput, options: InboundCheckOptions): Prechecked {
  const read = parseJson(input.data, { maxBytes: options.maxEnvelopeBytes ?? Defaults.maxEnvelopeBytes });
  if (!read.ok) return reject(read.reason, read.detail);
  const parsed = read.value;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return reject(RejectionReason.SchemaInvalid, "an envelope is a JSON object");
  }
  const claimed = parsed as Record<string, unknown>;
  if (claimed.sig === undefined) return reject(RejectionReason.Unsigned, "the envelope has no sig", claimed);
  if (!validateEnvelope(parsed)) return reject(RejectionReason.SchemaInvalid, validateEnvelope.explain(), claimed);
  const envelope = parsed;
  const mismatch = subjectMismatch(envelope, input.subject, options);
  if (mismatch) return reject(RejectionReason.SubjectMismatch, mismatch, claimed);
  const skew = Math.abs(input.storedAt - envelope.ts);
  if (skew > (options.maxClockSkewMs ?? Defaults.maxClockSkewMs)) {
    return reject(RejectionReason.Stale, `stored ${Math.round(skew / 1000)}s away from its ts`, claimed);
  }
  return { ok: true, envelope, kind: options.subjects.parse(input.subject)!.kind, claimed };
}

function subjectMismatch(envelope: Envelope, subject: string, options: InboundCheckOptions): string | undefined {
  const parsed = options.subjects.parse(subject);
  if (!parsed) return `subject ${subject} is not a message subject of mesh ${options.subjects.mesh}`;
  if (envelope.from !== didOfToken(parsed.from)) return "from does not match the subject's sender";
  if (parsed.kind === MessageKind.Topic) {
    if (envelope.topic !== parsed.target) return "topic does not match the subject";
    return undefined;
  }
  if (parsed.target !== options.me) return "the subject is not addressed to this reader";
  if (envelope.to !== didOfToken(parsed.target)) return "to does not match the subject's recipient";
  if (parsed.kind === MessageKind.Receipt && envelope.type !== MessageType.Receipt)
    return `a receipt subject carries type ${envelope.type}`;
  if (parsed.kind === MessageKind.Reply && envelope.replyTo === undefined) return "a reply has no replyTo";
  return undefined;
}
