import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { agentToken, Defaults, MessageKind, type DeadLetterRecord, type MeshSubjects } from "@plexus/core";
import { ensureConsumer, type DurableSpec } from "./consumers.js";
import { toDelivery, type Delivery } from "./delivery.js";
import { storeRecord } from "./ops-records.js";
import type { Accepted, Reader } from "./reader.js";
import type { ReceiptBatcher } from "./receipt-batcher.js";

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
  #messages: ConsumerMessages | undefined;
  #stopping = false;
  #handled = 0;
  #done: Promise<void> | undefined;
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
    await ensureConsumer(jsm, subjects.stream, spec);
    const consumer = await js.consumers.get(subjects.stream, spec.name);
    const batch = Math.max(1, Math.min(256, this.#o.max ?? 256));
    this.#messages = await consumer.consume({ max_messages: batch });
    this.#done = this.#run(this.#messages);
    return this;
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        if (this.#stopping) {
          m.nak();
          continue;
        }
        await this.#one(m);
        if (this.#o.max !== undefined && this.#handled >= this.#o.max) this.#stopping = true;
        if (this.#stopping) messages.stop();
      }
    } catch (err) {
      this.#o.onError?.(err);
    } finally {
      this.#finished.resolve();
    }
  }

  async #one(m: JsMsg): Promise<void> {
    const accepted = await this.#o.reader.accept(m);
    if (!accepted) {
      m.term("rejected");
      return;
    }
    const { envelope } = accepted;
    const receipts = accepted.kind === MessageKind.Inbox ? this.#o.receipts : undefined;
    receipts?.delivered(envelope.from, envelope.seq);
    const keepAlive = setInterval(() => m.working(), Math.max(1_000, (this.#o.ackWaitMs ?? 30_000) / 2));
    try {
      await this.#o.handler(toDelivery(accepted));
      m.ack();
      receipts?.processed(envelope.from, envelope.seq);
      this.#handled++;
    } catch (err) {
      this.#o.reader.stats.handlerError();
      await this.#failed(m, accepted, err);
    } finally {
      clearInterval(keepAlive);
    }
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
      streamSeq: m.seq,
      consumer: this.#o.reader.did,
      at: Date.now(),
    };
    try {
      await storeRecord(this.#o.nc, this.#o.js, this.#o.subjects.dead(me), `dead-${m.seq}-${this.#o.spec.name}`, record);
    } catch (storeErr) {
      // Not stored: leave the message for redelivery rather than lose it.
      this.#o.onError?.(storeErr);
      m.nak(1_000);
      return;
    }
    this.#o.reader.stats.deadLettered();
    if (accepted.kind === MessageKind.Inbox) {
      this.#o.receipts?.failed(envelope.from, { id: envelope.id, seq: envelope.seq, reason, attempts: accepted.attempt });
    }
    m.term("dead-lettered");
    this.#handled++;
  }

  /** Stops taking messages; what is buffered goes back to the server for the next reader. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#messages?.stop();
    await this.#done;
  }
}
