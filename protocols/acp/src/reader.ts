import type { ConsumerInfo, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  agentToken,
  Defaults,
  MessageKind,
  RejectionReason,
  type Envelope,
  type MeshSubjects,
  type ReceiptBody,
} from "@plexus/core";
import { checkInboundAsync, unprocessable, type InboundResult } from "./inbound-check.js";
import { rawCopy, storeRecord } from "./ops-records.js";
import { keptAt } from "./stream-position.js";
import { ReplayGuard, type OrderInfo } from "./replay-guard.js";
import type { ReaderStats } from "./reader-stats.js";
import { seedReaderMemory } from "./reader-seed.js";
import { SettledLedger } from "./settled-ledger.js";

/** An envelope that passed every check, with what the reader knows about its delivery. */
export interface Accepted {
  envelope: Envelope;
  kind: MessageKind;
  streamSeq: number;
  /** Delivered before (JetStream redelivery, or seen by this reader already). */
  redelivered: boolean;
  /** 1 on first delivery. */
  attempt: number;
  order: OrderInfo;
}

/**
 * A message that must not reach a handler; `kept` when its rejection record was stored. `settled`: not rejected but
 * already handled, as this reader's own stored receipt says (processed or dead-lettered): ack it, hand it to no one.
 */
export interface Refused {
  refused: true;
  kept: boolean;
  settled?: true;
}

export function isRefused(x: Accepted | Refused): x is Refused {
  return "refused" in x;
}

/**
 * The key rotations a reader knows from the mesh log (e.g. @plexus/anp RotationWatch): what a key signs after the
 * log recorded its rotation is refused as `rotated_key`.
 */
export interface KnownRotations {
  /** Resolves once the rotations logged so far are known. Never rejects. */
  ready(): Promise<void>;
  rotatedBefore(did: string, seq: number): { to: string; seq: number } | undefined;
}

export interface ReaderOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  subjects: MeshSubjects;
  /** The reading agent's DID. */
  did: string;
  stats: ReaderStats;
  maxEnvelopeBytes?: number;
  maxClockSkewMs?: number;
  /** Key rotations from the log; without them a rotated-away key's messages are judged like any other. */
  rotations?: KnownRotations;
  onError?: (err: unknown) => void;
}

/** A message's place, with its stream: one reader reads the mesh stream and, for topic durables, the topic stream. */
function position(m: JsMsg): string {
  return `${m.info.stream}:${m.seq}`;
}

function storedAt(m: JsMsg): number {
  return Number(m.timestampNanos / 1_000_000n);
}

/**
 * Turns raw stream messages into accepted envelopes or rejection records. One reader per agent, shared by its
 * subscriptions, so each message is verified once and replays are recognised across them.
 */
export class Reader {
  readonly #o: ReaderOptions;
  readonly #me: string;
  readonly #guard: ReplayGuard;
  readonly #ledger = new SettledLedger();
  #seeded: Promise<void> | undefined;
  /** The lowest ack floor the memory was read back from: a consumer rewound below it needs another read. */
  #seededFloor = Number.POSITIVE_INFINITY;
  /** While set, `admit` waits: the connection dropped, and the consumer may come back rewound. */
  #gate: Promise<void> | undefined;

  constructor(options: ReaderOptions) {
    this.#o = options;
    this.#me = agentToken(options.did);
    this.#guard = new ReplayGuard((options.maxClockSkewMs ?? Defaults.maxClockSkewMs) * 2);
  }

  get did(): string {
    return this.#o.did;
  }

  get stats(): ReaderStats {
    return this.#o.stats;
  }

  /**
   * The stateless checks, signature included, started at once and run in parallel with other messages' checks
   * (the signature on libuv's thread pool). Pass the result to `admit` in stream order. Never rejects: the promise
   * is often awaited later, and a rejection nobody awaited yet would end the process.
   */
  verify(m: JsMsg): Promise<InboundResult> {
    try {
      return checkInboundAsync(
        { subject: m.subject, data: m.data, storedAt: storedAt(m) },
        {
          subjects: this.#o.subjects,
          me: this.#me,
          maxEnvelopeBytes: this.#o.maxEnvelopeBytes,
          maxClockSkewMs: this.#o.maxClockSkewMs,
        },
      ).catch(unprocessable);
    } catch (err) {
      return Promise.resolve(unprocessable(err));
    }
  }

  /**
   * The stateful part, in stream order: replays, redeliveries and channel order. Returns the accepted envelope, or
   * records why the message was refused (`kept`: the record is stored). Never throws on bad input.
   */
  async admit(m: JsMsg, result: InboundResult): Promise<Accepted | Refused> {
    if (this.#gate) await this.#gate;
    if (this.#o.rotations) await this.#o.rotations.ready();
    try {
      return await this.#admit(m, result);
    } catch (err) {
      return this.refuse(m, unprocessable(err));
    }
  }

  async #admit(m: JsMsg, result: InboundResult): Promise<Accepted | Refused> {
    if (!result.ok)
      return { refused: true, kept: await this.#reject(m, result.reason, result.detail, result.from, result.id) };
    const rotated = this.#o.rotations?.rotatedBefore(result.envelope.from, keptAt(m, this.#o.subjects).seq);
    if (rotated) {
      const detail = `the sender's key was rotated to ${rotated.to} at log position ${rotated.seq}, before this message: nothing it signs counts any more`;
      return {
        refused: true,
        kept: await this.#reject(m, RejectionReason.RotatedKey, detail, result.envelope.from, result.envelope.id),
      };
    }
    const channel = this.#o.subjects.parse(m.subject)!;
    const verdict = this.#guard.check(result.envelope, result.hash, position(m), `${channel.kind}:${channel.target}`);
    if (verdict.replay)
      return {
        refused: true,
        kept: await this.#reject(m, "replay", verdict.detail, result.envelope.from, result.envelope.id),
      };
    const settled = result.kind === MessageKind.Inbox ? this.#settled(m, result.envelope, verdict.known) : undefined;
    if (settled === "settled") {
      this.#o.stats.settled();
      return { refused: true, kept: true, settled: true };
    }
    if (settled === "replay") {
      const detail = `seq ${result.envelope.seq} of this sender was already processed (this reader's stored receipt says so)`;
      return { refused: true, kept: await this.#reject(m, "replay", detail, result.envelope.from, result.envelope.id) };
    }
    const attempt = m.info.deliveryCount;
    const redelivered = attempt > 1 || verdict.redelivery || settled === "delivered";
    this.#o.stats.accepted(redelivered);
    return {
      envelope: result.envelope,
      kind: result.kind,
      streamSeq: m.seq,
      redelivered,
      attempt,
      order: verdict.order,
    };
  }

  /**
   * Refuses a message for a reason found outside the checks (a failure while handling it that no rule foresaw):
   * the rejection record is kept like any other. `kept` false: the record could not be stored.
   */
  async refuse(m: JsMsg, verdict: Extract<InboundResult, { ok: false }>): Promise<Refused> {
    return { refused: true, kept: await this.#reject(m, verdict.reason, verdict.detail, verdict.from, verdict.id) };
  }

  /**
   * Before an inbox consumer starts: reads back this reader's own stored receipts and the recent inbox (see
   * reader-seed.ts), so what was handled before a restart is not handed over as new again, whatever the server forgot.
   */
  seed(consumer: ConsumerInfo): Promise<void> {
    // Once per reader: from then on it has seen everything itself.
    this.#seeded ??= this.#seedOnce(consumer).catch((err: unknown) => {
      this.#seeded = undefined;
      throw err;
    });
    return this.#seeded;
  }

  /**
   * The connection to the server dropped: nothing is admitted until `recheck` says whether the consumer came back
   * rewound. A nats-server restarted on its own may have lost the consumer's state (seen: back to the start of the
   * stream) while this reader kept running; what this reader handled is in its ledger already (each receipt is noted
   * when stored), but what an earlier process handled below this reader's first ack floor is not.
   */
  hold(): () => void {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    this.#gate = gate;
    return () => {
      if (this.#gate === gate) this.#gate = undefined;
      release();
    };
  }

  /** After a reconnect: reads the memory back again from the consumer's floor if it moved below where it was read. */
  async recheck(consumer: ConsumerInfo): Promise<void> {
    if (this.#seeded === undefined || consumer.ack_floor.stream_seq >= this.#seededFloor) return;
    await this.#seedOnce(consumer);
  }

  #seedOnce(consumer: ConsumerInfo): Promise<void> {
    this.#seededFloor = Math.min(this.#seededFloor, consumer.ack_floor.stream_seq);
    const src = {
      nc: this.#o.nc,
      js: this.#o.js,
      subjects: this.#o.subjects,
      did: this.#o.did,
      verify: (m: JsMsg) => this.verify(m),
    };
    return seedReaderMemory(src, consumer, this.#guard.windowMs, {
      receipt: (sender, body) => this.#ledger.note(sender, body),
      envelope: (r, m, handled) =>
        this.#guard.remember(r.envelope, r.hash, position(m), `${MessageKind.Inbox}:${this.#me}`, handled),
      settled: (sender, seq) => {
        const status = this.#ledger.status(sender, seq);
        return status === "processed" || status === "failed";
      },
    });
  }

  /** A receipt this reader signed was stored: what it reports processed or failed is settled for good. */
  noteReceipt(sender: string, body: ReceiptBody): void {
    this.#ledger.note(sender, body);
  }

  /**
   * Direct messages only (they alone have receipts). One a stored receipt reports processed or failed is not handed
   * over again: at the position the reader knows it from, or older than the replay window (an old message the server
   * forgot it had acked), it is settled; a new envelope at a new position with that sender's seq is a replay.
   * One a receipt reports delivered (its handler was running) comes back marked redelivered.
   */
  #settled(m: JsMsg, envelope: Envelope, known: boolean): "settled" | "replay" | "delivered" | undefined {
    const status = this.#ledger.status(envelope.from, envelope.seq);
    if (status === undefined || status === "delivered") return status;
    return known || storedAt(m) < Date.now() - this.#guard.windowMs ? "settled" : "replay";
  }

  /** `verify` then `admit`, for one message at a time. */
  async accept(m: JsMsg): Promise<Accepted | Refused> {
    return this.admit(m, await this.verify(m));
  }

  /** Keeps the rejection record; false when it could not be stored (the caller then leaves the message for later). */
  async #reject(m: JsMsg, reason: RejectionReason, detail: string, from?: string, id?: string): Promise<boolean> {
    // The message's place in the log (for a topic durable's copy, the original's): the record's dedupe key too.
    const kept = keptAt(m, this.#o.subjects);
    const record = {
      reason,
      detail,
      subject: m.subject,
      streamSeq: kept.seq,
      stream: kept.stream,
      size: m.data.length,
      consumer: this.#o.did,
      at: Date.now(),
      ...rawCopy(m.data),
      ...(from ? { from } : {}),
      ...(id ? { id } : {}),
    };
    try {
      await storeRecord(
        this.#o.nc,
        this.#o.js,
        this.#o.subjects.rejected(this.#me),
        `rej-${kept.stream}-${kept.seq}-${this.#me}`,
        record,
      );
    } catch (err) {
      this.#o.onError?.(err);
      return false;
    }
    this.#o.stats.rejected(reason);
    return true;
  }
}
