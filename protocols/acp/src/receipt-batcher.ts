import { Defaults, MessageKind, MessageType, type ReceiptBody, type ReceiptFailure } from "@plexus/core";
import type { Outbox } from "./outbox.js";
import { toRanges } from "./seq-ranges.js";

interface Pending {
  delivered: Set<number>;
  processed: Set<number>;
  failed: ReceiptFailure[];
  /** Settles when the receipt carrying this batch is stored (rejects when it could not be). */
  stored: Promise<void>;
  settle: (err?: unknown) => void;
}

export interface ReceiptBatcherOptions {
  outbox: Outbox;
  flushMs?: number;
  onError?: (err: unknown) => void;
  /** A receipt to `sender` is stored (the reader's SettledLedger learns from it: Reader.noteReceipt). */
  onStored?: (sender: string, body: ReceiptBody) => void;
}

/**
 * The reader's side of receipts: gathers what happened to each sender's messages and, every `flushMs`, signs one
 * cumulative receipt per sender covering ranges of that sender's seq numbers. A message whose handler finished
 * before the flush is reported only as processed; one still running is reported as delivered.
 */
export class ReceiptBatcher {
  readonly #o: ReceiptBatcherOptions;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #inflight = new Set<Promise<unknown>>();

  constructor(options: ReceiptBatcherOptions) {
    this.#o = options;
  }

  delivered(sender: string, seq: number): void {
    this.#entry(sender).delivered.add(seq);
  }

  /** Resolves once the receipt that reports `seq` as processed is stored: only then may the message be acked. */
  processed(sender: string, seq: number): Promise<void> {
    const e = this.#entry(sender);
    e.delivered.delete(seq);
    e.processed.add(seq);
    return e.stored;
  }

  failed(sender: string, failure: ReceiptFailure): void {
    const e = this.#entry(sender);
    e.delivered.delete(failure.seq);
    e.failed.push(failure);
  }

  #entry(sender: string): Pending {
    let e = this.#pending.get(sender);
    if (!e) {
      let settle!: (err?: unknown) => void;
      const stored = new Promise<void>(
        (resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))),
      );
      stored.catch(() => undefined);
      e = { delivered: new Set(), processed: new Set(), failed: [], stored, settle };
      this.#pending.set(sender, e);
    }
    this.#timer ??= setTimeout(() => void this.flush(), this.#o.flushMs ?? Defaults.receiptFlushMs);
    return e;
  }

  /** Signs and stores the gathered receipts now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = [...this.#pending];
    this.#pending.clear();
    const sends = batch.map(([sender, e]) => this.#send(sender, e));
    await Promise.all(sends);
  }

  #send(sender: string, e: Pending): Promise<unknown> {
    const body: ReceiptBody = { delivered: toRanges(e.delivered), processed: toRanges(e.processed), failed: e.failed };
    const p = this.#o.outbox
      .send(MessageKind.Receipt, sender, { type: MessageType.Receipt, body })
      .then(
        () => {
          this.#o.onStored?.(sender, body);
          e.settle();
        },
        (err) => {
          e.settle(err ?? new Error("receipt not stored"));
          this.#o.onError?.(err);
        },
      )
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
    return p;
  }

  /** Flushes and waits for every receipt in flight. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all([...this.#inflight]);
  }
}
