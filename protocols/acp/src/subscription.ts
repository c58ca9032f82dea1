import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { agentToken, Defaults, MessageKind, type DeadLetterRecord, type MeshSubjects } from "@plexus/core";
import { ensureConsumer, type DurableSpec } from "./consumers.js";
import { toDelivery, type Delivery } from "./delivery.js";
import { storeRecord } from "./ops-records.js";
import { keptAt } from "./stream-position.js";
import { unprocessable, type InboundResult } from "./inbound-check.js";
import { isRefused, type Accepted, type Reader } from "./reader.js";
import type { ReceiptBatcher } from "./receipt-batcher.js";

/**
 * Acks gathered until the event loop has run this round's I/O callbacks, then sent together: the client writes them
 * to the socket once instead of once per message (verifications finish on the thread pool one callback at a time).
 */
class AckBatch {
  #pending: JsMsg[] = [];

  add(m: JsMsg): void {
    if (this.#pending.push(m) === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const m of batch) m.ack();
  }
}

/** Messages between arrival and their handler, per subscription (also the pull batch size). */
const PIPELINE = 1024;

export type Handler = (delivery: Delivery) => unknown | Promise<unknown>;

export interface SubscriptionOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: MeshSubjects;
  reader: Reader;
  spec: DurableSpec;
  handler: Handler;
  /** Where signed receipts for direct messages are gathered; none for topics. */
  receipts?: ReceiptBatcher;
  maxAttempts?: number;
  backoffMs?: readonly number[];
  ackWaitMs?: number;
  /** Stop after this many messages were handled (successfully or dead-lettered). */
  max?: number;
  onError?: (err: unknown) => void;
}

/**
 * Runs a handler over a durable consumer. Success acks (and reports `processed`); a throw naks with backoff, and
 * after `maxAttempts` deliveries the message becomes a dead letter and its sender gets a `failed` receipt.
 * Messages are handled one at a time, in stream order.
 */
export class Subscription {
  readonly #o: SubscriptionOptions;
  #source: { stop(): void } | undefined;
  #stopping = false;
  #handled = 0;
  #done: Promise<void> | undefined;
  /** Messages received and not yet finished: the keep-alive tells the server each is still being worked on. */
  readonly #held = new Set<JsMsg>();
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  #waiting: (() => void)[] = [];
  readonly #acks = new AckBatch();
  /** Messages handled, waiting for the receipt that reports them to be stored before they are acked. */
  readonly #receiptAcks = new Map<Promise<void>, JsMsg[]>();
  #keepAlive: NodeJS.Timeout | undefined;
  #statusWatch: { stop(): void } | undefined;
  readonly #finished: { resolve: () => void; promise: Promise<void> };

  constructor(options: SubscriptionOptions) {
    this.#o = options;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#finished = { resolve, promise };
  }

  get handled(): number {
    return this.#handled;
  }

  /** Resolves when `max` messages were handled, or the subscription was stopped. */
  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  async start(): Promise<this> {
    const { jsm, subjects, spec, js } = this.#o;
    const stream = spec.stream ?? subjects.stream;
    await ensureConsumer(jsm, stream, spec);
    const consumer = await js.consumers.get(stream, spec.name);
    // Direct messages: remember what was handled before a restart before taking any (see Reader.seed), and again if
    // the server comes back with the consumer rewound (Reader.hold / recheck).
    if (this.#o.receipts) {
      await this.#o.reader.seed(await consumer.info());
      void this.#watchRewinds(consumer);
    }
    // While a message waits in the pipeline, its handler runs long or its receipt is being stored (through a cluster's
    // leader election, say), the server hears that it is being worked on, so it is not redelivered meanwhile.
    this.#keepAlive = setInterval(
      () => {
        this.#held.forEach((m) => m.working());
        for (const batch of this.#receiptAcks.values()) batch.forEach((m) => m.working());
      },
      Math.max(500, (this.#o.ackWaitMs ?? 30_000) / 2),
    );
    this.#done = this.#run(consumer)
      .then(() => this.#settleReceiptAcks())
      .finally(() => {
        this.#statusWatch?.stop();
        this.#acks.flush();
        clearInterval(this.#keepAlive);
        this.#finished.resolve();
      });
    return this;
  }

  /**
   * Unbounded: one long `consume`. Bounded (`max`): `fetch` no more than is still wanted, so no pull request is left
   * waiting on the server when the subscription ends. Either way the next pull overlaps the handling of the last.
   */
  async #run(consumer: Consumer): Promise<void> {
    try {
      const max = this.#o.max;
      if (max === undefined) {
        const messages = await consumer.consume({ max_messages: PIPELINE / 2, expires: Defaults.pullExpiresMs });
        this.#source = messages;
        await this.#feed(messages);
      } else {
        while (!this.#stopping && this.#handled < max) {
          const want = Math.min(PIPELINE, max - this.#handled - this.#queued);
          if (want <= 0) {
            await this.#progress();
            continue;
          }
          const batch = await consumer.fetch({ max_messages: want, expires: 5_000 });
          this.#source = batch;
          await this.#feed(batch);
        }
      }
      await this.#tail;
    } catch (err) {
      this.#o.onError?.(err);
    }
  }

  /**
   * Starts verifying each message as it arrives (signatures on worker threads, in batches) and chains its handling
   * behind the previous one, so handlers run one at a time in stream order. At most PIPELINE messages are between
   * arrival and the end of their handling.
   */
  async #feed(source: AsyncIterable<JsMsg>): Promise<void> {
    for await (const m of source) {
      const verdict = this.#o.reader.verify(m);
      this.#queued++;
      this.#held.add(m);
      this.#tail = this.#tail.then(async () => {
        try {
          await this.#step(m, await verdict);
        } catch (err) {
          // Never break the chain. An unexpected failure returns the message for redelivery a few times (it may be
          // local and pass), then refuses it for good with a record naming the failure: never a redelivery loop.
          this.#o.onError?.(err);
          await this.#unexpected(m, err);
        }
        this.#held.delete(m);
        this.#queued--;
        const waiting = this.#waiting;
        this.#waiting = [];
        waiting.forEach((wake) => wake());
      });
      if (this.#queued >= PIPELINE) await this.#progress();
    }
  }

  /** Resolves when the next message finished its handling. */
  #progress(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #step(m: JsMsg, verdict: InboundResult): Promise<void> {
    if (this.#stopping) {
      m.nak();
      return;
    }
    await this.#one(m, verdict);
    if (this.#o.max !== undefined && this.#handled >= this.#o.max) this.#stopping = true;
    if (this.#stopping) this.#source?.stop();
  }

  async #one(m: JsMsg, verdict: InboundResult): Promise<void> {
    const accepted = await this.#o.reader.admit(m, verdict);
    if (isRefused(accepted)) {
      if (accepted.settled) {
        // Handled before (its processed receipt is stored): acked, never handed over again.
        this.#acks.add(m);
        return;
      }
      // Refused for good once its record is kept; if the record could not be stored, try again later.
      if (accepted.kept) m.term("rejected");
      else m.nak(1_000);
      return;
    }
    const { envelope } = accepted;
    const receipts = accepted.kind === MessageKind.Inbox ? this.#o.receipts : undefined;
    receipts?.delivered(envelope.from, envelope.seq);
    try {
      await this.#o.handler(toDelivery(accepted));
      if (receipts) this.#ackAfterReceipt(m, receipts.processed(envelope.from, envelope.seq));
      else this.#acks.add(m);
      this.#handled++;
    } catch (err) {
      this.#o.reader.stats.handlerError();
      await this.#failed(m, accepted, err);
    }
  }

  /**
   * A direct message is acked only once the signed receipt reporting it processed is stored, so a crash in between
   * means redelivery (marked as such), never an acked message whose sender is never told. If the receipt cannot be
   * stored the message is left unacked and comes back.
   */
  #ackAfterReceipt(m: JsMsg, stored: Promise<void>): void {
    // One receipt covers many messages: group them by the receipt's promise, one continuation per receipt.
    const waiting = this.#receiptAcks.get(stored);
    if (waiting) {
      waiting.push(m);
      return;
    }
    const batch = [m];
    this.#receiptAcks.set(stored, batch);
    void stored
      .then(
        () => batch.forEach((x) => this.#acks.add(x)),
        () => undefined,
      )
      .finally(() => this.#receiptAcks.delete(stored));
  }

  async #failed(m: JsMsg, accepted: Accepted, err: unknown): Promise<void> {
    const maxAttempts = this.#o.maxAttempts ?? Defaults.maxAttempts;
    if (accepted.attempt < maxAttempts) {
      const backoff = this.#o.backoffMs ?? Defaults.backoffMs;
      m.nak(backoff[Math.min(accepted.attempt - 1, backoff.length - 1)]);
      return;
    }
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 1024) || "handler failed";
    const { envelope } = accepted;
    const me = agentToken(this.#o.reader.did);
    const record: DeadLetterRecord = {
      envelope,
      reason,
      attempts: accepted.attempt,
      subject: m.subject,
      ...positionOf(m, this.#o.subjects),
      consumer: this.#o.reader.did,
      at: Date.now(),
    };
    try {
      await storeRecord(
        this.#o.nc,
        this.#o.js,
        this.#o.subjects.dead(me),
        `dead-${m.seq}-${this.#o.spec.name}`,
        record,
      );
    } catch (storeErr) {
      // Not stored: leave the message for redelivery rather than lose it.
      this.#o.onError?.(storeErr);
      m.nak(1_000);
      return;
    }
    this.#o.reader.stats.deadLettered();
    if (accepted.kind === MessageKind.Inbox) {
      this.#o.receipts?.failed(envelope.from, {
        id: envelope.id,
        seq: envelope.seq,
        reason,
        attempts: accepted.attempt,
      });
    }
    m.term("dead-lettered");
    this.#handled++;
  }

  async #watchRewinds(consumer: Consumer): Promise<void> {
    const status = this.#o.nc.status();
    this.#statusWatch = status as unknown as { stop(): void };
    let release: (() => void) | undefined;
    try {
      for await (const s of status) {
        if (s.type === "disconnect" && !release) release = this.#o.reader.hold();
        if (s.type !== "reconnect" || !release) continue;
        try {
          await this.#o.reader.recheck(await consumer.info());
        } catch (err) {
          this.#o.onError?.(err);
        }
        release();
        release = undefined;
      }
    } finally {
      release?.();
    }
  }

  async #unexpected(m: JsMsg, err: unknown): Promise<void> {
    try {
      if (m.info.deliveryCount < (this.#o.maxAttempts ?? Defaults.maxAttempts)) {
        m.nak(1_000);
        return;
      }
      const refused = await this.#o.reader.refuse(m, unprocessable(err));
      if (refused.kept) m.term("unprocessable");
      else m.nak(1_000);
    } catch (again) {
      this.#o.onError?.(again);
    }
  }

  /** Sends the receipts still gathering and acks what they cover. */
  async #settleReceiptAcks(): Promise<void> {
    if (this.#receiptAcks.size === 0) return;
    await this.#o.receipts?.flush();
    await Promise.allSettled([...this.#receiptAcks.keys()]);
  }

  /** Stops taking messages; what is buffered goes back to the server (nak) for the next reader. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#statusWatch?.stop();
    this.#source?.stop();
    await this.#done;
  }
}

/** A record's position fields: where the message is kept for good (see stream-position.ts). */
function positionOf(m: JsMsg, subjects: MeshSubjects): { streamSeq: number; stream: string } {
  const kept = keptAt(m, subjects);
  return { streamSeq: kept.seq, stream: kept.stream };
}
