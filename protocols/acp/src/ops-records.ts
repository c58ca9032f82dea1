import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { publishDurably } from "@plexus/bus";
import {
  Defaults,
  parseJson,
  type DeadLetterRecord,
  type MeshSubjects,
  type RejectionRecord,
  type Validator,
} from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";

const encoder = new TextEncoder();
/** How much of a rejected message a rejection record copies (the whole message stays in the stream). */
export const RAW_COPY_BYTES = 4096;

/** Stores a record in the mesh stream once per (kind, stream position, reader), however often it is retried. */
export async function storeRecord(
  nc: NatsConnection,
  js: JetStreamClient,
  subject: string,
  dedupeKey: string,
  record: RejectionRecord | DeadLetterRecord,
): Promise<void> {
  await publishDurably(nc, js, subject, encoder.encode(JSON.stringify(record)), { msgID: dedupeKey });
}

export function rawCopy(data: Uint8Array): { raw: string; truncated?: boolean } {
  const slice = data.length > RAW_COPY_BYTES ? data.subarray(0, RAW_COPY_BYTES) : data;
  return { raw: Buffer.from(slice).toString("base64"), ...(data.length > RAW_COPY_BYTES ? { truncated: true } : {}) };
}

export interface ListOptions {
  /** Keep the last N (default 100). */
  limit?: number;
}

/**
 * A message on a record subject that is not a record of its kind. Any agent may publish on its own record subjects,
 * so such messages are expected: they are listed apart (by position and subject, which names the publisher), never
 * read as records and never a reason for the listing to fail.
 */
export interface InvalidRecord {
  position: number;
  subject: string;
  detail: string;
}

export interface Listed<T> {
  records: (T & { position: number })[];
  total: number;
  /** Messages among the newest `limit` that were not valid records (newest last). */
  invalid: InvalidRecord[];
}

/** A record read back, or why it is not one. Never throws. */
function readRecord<T>(
  data: Uint8Array,
  validate: Validator<T>,
): { ok: true; record: T } | { ok: false; detail: string } {
  const parsed = parseJson(data);
  if (!parsed.ok) return { ok: false, detail: `${parsed.reason}: ${parsed.detail}` };
  return validate(parsed.value)
    ? { ok: true, record: parsed.value }
    : { ok: false, detail: `schema_invalid: ${validate.explain()}` };
}

/**
 * Reads the records of one kind back from the stream, the newest `limit` of them, oldest first; messages that are not
 * valid records go to `invalid`.
 */
export async function listRecords<T>(
  nc: NatsConnection,
  subjects: MeshSubjects,
  filter: string,
  validate: Validator<T>,
  options: ListOptions = {},
): Promise<Listed<T>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(subjects.stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const records: (T & { position: number })[] = [];
  const invalid: InvalidRecord[] = [];
  if (total === 0) return { records, total, invalid };
  const limit = options.limit ?? 100;
  const consumer = await jetstream(nc).consumers.get(subjects.stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.All,
    name_prefix: orderedConsumerPrefix(),
  });
  const messages = await consumer.consume({ expires: Defaults.pullExpiresMs });
  try {
    for await (const m of messages) {
      const read = readRecord(m.data, validate);
      if (read.ok) records.push({ ...read.record, position: m.seq });
      else invalid.push({ position: m.seq, subject: m.subject, detail: read.detail.slice(0, 300) });
      if (records.length > limit) records.shift();
      if (invalid.length > limit) invalid.shift();
      if (m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
  return { records, total, invalid };
}
