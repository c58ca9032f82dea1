import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  type ConsumerInfo,
  type JetStreamClient,
  type JsMsg,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  agentToken,
  MessageKind,
  MessageType,
  parseJson,
  validateEnvelope,
  validateReceiptBody,
  type MeshSubjects,
  type ReceiptBody,
} from "@plexus/core";
import { randomConsumerName } from "@plexus/core/internal";
import { verifyEnvelopeAsync } from "@plexus/identity/internal";
import type { InboundResult } from "./inbound-check.js";

/** A seeding consumer is removed by the server after this long without a pull (agents may not delete consumers). */
const SEED_CONSUMER_IDLE_MS = 5_000;

export interface SeedSource {
  nc: NatsConnection;
  js: JetStreamClient;
  subjects: MeshSubjects;
  did: string;
  /** The reader's stateless checks (Reader.verify). */
  verify: (m: JsMsg) => Promise<InboundResult>;
}

export interface SeedSink {
  /** A receipt this reader signed and stored, to `sender`. */
  receipt(sender: string, body: ReceiptBody): void;
  /** A verified inbox envelope stored at `m.seq`; `handled`: at or behind the consumer's ack floor. */
  envelope(result: Extract<InboundResult, { ok: true }>, m: JsMsg, handled: boolean): void;
  /** Whether a receipt read so far reports this sender's seq processed or failed. */
  settled(sender: string, seq: number): boolean;
}

/**
 * What a reader needs to remember across a restart, read back from the mesh stream before its inbox consumer starts
 * (the reader's memory is in RAM; the stream is not):
 *
 * - its own stored receipts from the consumer's ack floor on: every message the server may still hand out is stored
 *   after that floor, and so is every receipt about it (a receipt is signed after the message was stored). Whatever
 *   the server forgot of the consumer's state (it rewound to the start of the stream once in the crash tests), the
 *   floor it reports now is where it delivers from, so this covers all it can redeliver.
 * - the inbox envelopes stored from `windowMs` before the first one still pending (or before now) up to the last one
 *   the consumer delivered: a replayed copy passes the freshness check only if stored within that window of its
 *   original, so these are all the originals a pending or future replay can copy (envelopes after the last delivered
 *   position come in stream order anyway, their originals first); plus every one stored in the last `windowMs`.
 *
 * Only what verifies is remembered (receipts signed by this reader's own key, envelopes passing every inbound check):
 * forged bytes in the stream can make the reader neither skip nor refuse a genuine message. Never throws on bad bytes.
 */
export async function seedReaderMemory(
  src: SeedSource,
  consumer: ConsumerInfo,
  windowMs: number,
  sink: SeedSink,
): Promise<void> {
  const ackFloor = consumer.ack_floor.stream_seq;
  const lastDelivered = consumer.delivered.stream_seq;
  const me = agentToken(src.did);
  const streamEnd = (await (await jetstreamManager(src.nc, { checkAPI: false })).streams.info(src.subjects.stream))
    .state.last_seq;
  const receipts: Promise<boolean>[] = [];
  await readStored(
    src,
    `plexus.${src.subjects.mesh}.acp.${MessageKind.Receipt}.*.${me}`,
    { seq: ackFloor + 1 },
    streamEnd,
    (m) => {
      receipts.push(
        ownReceipt(src.did, m).then((r) => {
          if (!r) return false;
          sink.receipt(r.sender, r.body);
          return true;
        }),
      );
    },
  );
  const anyReceipt = (await Promise.all(receipts)).some(Boolean);
  const inbox = src.subjects.filter(MessageKind.Inbox, me);
  const now = Date.now();
  let firstPending = now;
  await readStored(src, inbox, { seq: ackFloor + 1 }, streamEnd, (m) => {
    firstPending = Math.min(firstPending, storedAt(m));
    return "stop";
  });
  // Verified in parallel, remembered in stream order: the first position of an envelope is its original.
  const seen: { m: JsMsg; verdict: Promise<InboundResult> }[] = [];
  const remember = (m: JsMsg) => void seen.push({ m, verdict: src.verify(m) });
  if (lastDelivered > 0) await readStored(src, inbox, { time: firstPending - windowMs }, lastDelivered, remember);
  // And those of the last window past that point which a receipt reports handled: a consumer the server rewound reports
  // less delivered than was handled, and the reader tells a message it handled from a new copy by the position it
  // remembers (Reader.#settled). Without such receipts there is nothing to tell apart, and the backlog is not read twice.
  if (anyReceipt) {
    await readStored(src, inbox, { time: now - windowMs }, streamEnd, (m) => {
      const claimed = m.seq > lastDelivered ? senderSeq(m) : undefined;
      if (claimed && sink.settled(claimed.from, claimed.seq)) remember(m);
    });
  }
  for (const { m, verdict } of seen) {
    // A message whose checks fail in an unexpected way is not remembered; its own delivery gets its verdict.
    const r = await verdict.catch(() => undefined);
    if (r?.ok) sink.envelope(r, m, m.seq <= ackFloor);
  }
}

/** The sender and seq a message claims (unverified: only to decide whether it is worth verifying). */
function senderSeq(m: JsMsg): { from: string; seq: number } | undefined {
  const read = parseJson(m.data);
  const v = read.ok ? (read.value as { from?: unknown; seq?: unknown } | null) : undefined;
  return typeof v?.from === "string" && typeof v.seq === "number" ? { from: v.from, seq: v.seq } : undefined;
}

function storedAt(m: JsMsg): number {
  return Number(m.timestampNanos / 1_000_000n);
}

/** A receipt signed by `did` (its own), or undefined for anything else. */
async function ownReceipt(did: string, m: JsMsg): Promise<{ sender: string; body: ReceiptBody } | undefined> {
  try {
    const read = parseJson(m.data);
    const parsed = read.ok ? read.value : undefined;
    if (!validateEnvelope(parsed)) return undefined;
    if (parsed.from !== did || parsed.type !== MessageType.Receipt || parsed.to === undefined) return undefined;
    if (!m.subject.endsWith(`.${agentToken(parsed.to)}.${agentToken(did)}`)) return undefined;
    if (!validateReceiptBody(parsed.body)) return undefined;
    if (!(await verifyEnvelopeAsync(parsed)).ok) return undefined;
    return { sender: parsed.to, body: parsed.body };
  } catch {
    return undefined;
  }
}

/**
 * Tries of one seeding read without progress: a server that dies during it takes the (one-replica) consumer and its
 * pull along.
 */
const SEED_READ_TRIES = 4;
/** A seeding pull waits this long on the server (its heartbeat half of it): a lost pull is noticed in ~2 s. */
const SEED_PULL_EXPIRES_MS = 2_000;

/**
 * Reads the stored messages on `filter` from a position or a time up to stream position `end`, through a short-lived
 * consumer (agents may create consumers on what is addressed to them and what they sent, never read by position).
 * `onMessage` returning "stop" ends the read early. On a cluster the consumer lives on one server: when that server
 * dies, or the pull is lost to a leader change, the read goes on from the next position with a new consumer.
 */
async function readStored(
  src: SeedSource,
  filter: string,
  from: { seq: number } | { time: number },
  end: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers return nothing to go on, "stop" to stop
  onMessage: (m: JsMsg) => void | "stop",
): Promise<void> {
  let next = from;
  for (let attempt = 1; ; attempt += 1) {
    let last = 0;
    try {
      await readStoredOnce(src, filter, next, end, (m) => {
        last = m.seq;
        return onMessage(m);
      });
      return;
    } catch (err) {
      if (src.nc.isClosed()) throw err;
      // Tries count only while nothing is read: a read that moves on gets its tries back.
      if (last > 0) {
        next = { seq: last + 1 };
        attempt = 0;
      } else if (attempt >= SEED_READ_TRIES) {
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

async function readStoredOnce(
  src: SeedSource,
  filter: string,
  from: { seq: number } | { time: number },
  end: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers return nothing to go on, "stop" to stop
  onMessage: (m: JsMsg) => void | "stop",
): Promise<void> {
  const jsm = await jetstreamManager(src.nc, { checkAPI: false });
  const start =
    "seq" in from
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, from.seq) }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Math.max(0, from.time)).toISOString() };
  const created = await jsm.consumers.add(src.subjects.stream, {
    name: randomConsumerName("seed"),
    filter_subject: filter,
    ...start,
    ack_policy: AckPolicy.None,
    inactive_threshold: SEED_CONSUMER_IDLE_MS * 1_000_000,
    mem_storage: true,
    num_replicas: 1,
  });
  if (created.num_pending === 0) return;
  const messages = await (await src.js.consumers.get(src.subjects.stream, created.name)).consume({
    max_messages: 1024,
    expires: SEED_PULL_EXPIRES_MS,
    abort_on_missing_resource: true,
  });
  // Two missed heartbeats: the pull is gone (its server died, or the consumer's leader changed). The status stream is
  // the client's only word on it; ending the iterator makes the read try again.
  void (async () => {
    for await (const status of messages.status()) {
      if (status.type === "heartbeats_missed") messages.stop();
    }
  })().catch(() => undefined);
  let reached = false;
  try {
    for await (const m of messages) {
      if (m.seq > end) {
        reached = true;
        break;
      }
      if (onMessage(m) === "stop" || m.seq >= end || m.info.pending === 0) {
        reached = true;
        break;
      }
    }
  } finally {
    messages.stop();
  }
  if (!reached) throw new Error(`the read of ${filter} ended before position ${end}`);
}
