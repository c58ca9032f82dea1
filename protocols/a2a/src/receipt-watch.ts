/**
 * Follows the signed receipts agents send the gateway and reports, per forwarded message, the first that says the
 * agent took it (delivered or processed), and a later one saying it gave up on it (failed: dead-lettered). Receipts are cumulative ranges of
 * the gateway's per-recipient `seq`, so each forwarded message is remembered by (recipient, seq) until it is settled.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { StreamTap, type Reader } from "@plexus/acp";
import { rangeMembership, seqsToMatch } from "@plexus/acp/internal";
import {
  agentToken,
  MessageKind,
  MessageType,
  validateReceiptBody,
  type Envelope,
  type MeshSubjects,
} from "@plexus/core";

/** What a receipt said about the forwarded message `id`. */
export type ReceiptOutcome = { id: string; status: "taken" } | { id: string; status: "failed"; reason: string };

export interface Expected {
  /** The forwarded message's envelope id. */
  id: string;
  onReceipt: (outcome: ReceiptOutcome) => void;
  /** Set once a "taken" outcome was reported. */
  taken?: boolean;
}

/** Forwarded messages remembered at once; past this the oldest unsettled one is forgotten (its task just skips "working"). */
const MAX_EXPECTED = 100_000;

export class ReceiptWatch {
  /** Unsettled forwarded messages, by recipient and seq. */
  readonly #expected = new Map<string, Map<number, Expected>>();
  #size = 0;
  readonly #tap: StreamTap;

  constructor(o: {
    js: JetStreamClient;
    jsm: JetStreamManager;
    subjects: MeshSubjects;
    reader: Reader;
    did: string;
    onError?: (err: unknown) => void;
  }) {
    this.#tap = new StreamTap({
      js: o.js,
      jsm: o.jsm,
      subjects: o.subjects,
      reader: o.reader,
      filter: o.subjects.filter(MessageKind.Receipt, agentToken(o.did)),
      onAccepted: (a) => this.#apply(a.envelope),
      ...(o.onError ? { onError: o.onError } : {}),
    });
  }

  async start(): Promise<this> {
    await this.#tap.start();
    return this;
  }

  /** Remembers a forwarded message (recipient and the seq its envelope carried). */
  expect(to: string, seq: number, expected: Expected): void {
    let of = this.#expected.get(to);
    if (!of) this.#expected.set(to, (of = new Map()));
    if (!of.has(seq)) this.#size++;
    of.set(seq, expected);
    if (this.#size > MAX_EXPECTED) this.#forgetOne();
  }

  #apply(envelope: Envelope): void {
    if (envelope.type !== MessageType.Receipt || !validateReceiptBody(envelope.body)) return;
    const of = this.#expected.get(envelope.from);
    if (!of) return;
    const body = envelope.body;
    for (const f of body.failed) this.#settle(of, f.seq, "failed", f.reason);
    const processed = rangeMembership(body.processed);
    const delivered = rangeMembership(body.delivered);
    for (const seq of seqsToMatch([body.processed, body.delivered], of)) {
      const e = of.get(seq);
      if (!e) continue;
      if (processed(seq)) this.#settle(of, seq, "taken");
      else if (delivered(seq) && !e.taken) {
        // Still running: the agent took it; a "failed" receipt may follow, so it stays remembered.
        e.taken = true;
        e.onReceipt({ id: e.id, status: "taken" });
      }
    }
    if (of.size === 0) this.#expected.delete(envelope.from);
  }

  /** Forgets the oldest entry of the recipient remembered longest. */
  #forgetOne(): void {
    const [from, of] = this.#expected.entries().next().value!;
    const oldest = of.keys().next().value;
    if (oldest !== undefined && of.delete(oldest)) this.#size--;
    if (of.size === 0) this.#expected.delete(from);
  }

  #settle(of: Map<number, Expected>, seq: number, status: "taken" | "failed", reason = ""): void {
    const e = of.get(seq);
    if (!e) return;
    of.delete(seq);
    this.#size--;
    if (status === "failed") e.onReceipt({ id: e.id, status, reason });
    else if (!e.taken) e.onReceipt({ id: e.id, status });
  }

  stop(): Promise<void> {
    return this.#tap.stop();
  }
}
