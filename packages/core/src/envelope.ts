/** Wire types: exactly what schemas/*.json say. The SDK hands users its own, friendlier types. */

export const ENVELOPE_VERSION = 1 as const;

export interface Envelope {
  v: typeof ENVELOPE_VERSION;
  id: string;
  from: string;
  to?: string;
  topic?: string;
  conversation?: string;
  replyTo?: string;
  type: string;
  body: unknown;
  ts: number;
  seq: number;
  prev?: string;
  sig: string;
}

export type UnsignedEnvelope = Omit<Envelope, "sig">;

/** Reserved envelope types. Application types are free-form (`^[A-Za-z0-9][A-Za-z0-9._/-]*$`). */
export const MessageType = {
  Message: "acp.message",
  Reply: "acp.reply",
  Receipt: "acp.receipt",
} as const;

export type SeqRange = [number, number];

export interface ReceiptFailure {
  id: string;
  seq: number;
  reason: string;
  attempts: number;
}

export interface ReceiptBody {
  delivered: SeqRange[];
  processed: SeqRange[];
  failed: ReceiptFailure[];
}

export const RejectionReason = {
  Oversized: "oversized",
  MalformedJson: "malformed_json",
  Unsigned: "unsigned",
  SchemaInvalid: "schema_invalid",
  SubjectMismatch: "subject_mismatch",
  Stale: "stale",
  BadSignature: "bad_signature",
  Replay: "replay",
  /** Signed by a key the mesh's log records as rotated away before the message (the reader follows the rotations). */
  RotatedKey: "rotated_key",
  /** Past the JSON shape limits (nesting depth, members, items, string length); the detail names which. */
  LimitExceeded: "limit_exceeded",
  /** Checking it failed in a way no rule foresaw; the detail names the failure. Terminated, never redelivered. */
  Unprocessable: "unprocessable",
} as const;
export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

export interface RejectionRecord {
  reason: RejectionReason;
  detail: string;
  subject: string;
  streamSeq: number;
  /** The stream where the message is kept at `streamSeq`: the mesh stream (topic durables read a copy; this names the original). */
  stream?: string;
  size: number;
  consumer: string;
  at: number;
  raw: string;
  truncated?: boolean;
  from?: string;
  id?: string;
}

export interface DeadLetterRecord {
  envelope: Envelope;
  reason: string;
  attempts: number;
  subject: string;
  streamSeq: number;
  stream?: string;
  consumer: string;
  at: number;
}
