import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { publishDurably } from "@plexus/bus";
import { orderedConsumerPrefix, type DeadLetterRecord, type MeshSubjects, type RejectionRecord } from "@plexus/core";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
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

export interface Listed<T> {
  records: (T & { position: number })[];
  total: number;
}

/** Reads the records of one kind back from the stream, the newest `limit` of them, oldest first. */
export async function listRecords<T>(nc: NatsConnection, subjects: MeshSubjects, filter: string, options: ListOptions = {}): Promise<Listed<T>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(subjects.stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const records: (T & { position: number })[] = [];
  if (total === 0) return { records, total };
  const limit = options.limit ?? 100;
  const consumer = await jetstream(nc).consumers.get(subjects.stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All, name_prefix: orderedConsumerPrefix() });
  const messages = await consumer.consume();
  try {
    for await (const m of messages) {
      records.push({ ...(JSON.parse(decoder.decode(m.data)) as T), position: m.seq });
      if (records.length > limit) records.shift();
      if (m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
  return { records, total };
}
