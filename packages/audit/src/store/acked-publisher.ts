/**
 * JetStream publishes with their acks collected on one reply subscription, for the sealer's pipelined appends.
 *
 * A JetStream publish is a NATS publish with a reply subject; the stream answers with a PubAck or an API error.
 * `js.publish` does that through `nc.request`, which costs a timer and a captured stack per call (the client builds a
 * "cancelled" RequestError for every finished request). Here all acks arrive on one wildcard subscription, matched by
 * a numeric token, and one sweep expires overdue ones.
 *
 * `publishAll` sends a whole batch in one synchronous run (the client writes what was published in one turn with one
 * socket write) and settles it with one promise instead of one per message: per message there is one map entry, one
 * header block written from a template and, for the usual ack, a regular expression instead of a JSON.parse.
 */
import { createInbox, MsgHdrsImpl, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";

export type PublishAck = { ok: true; seq: number } | { ok: false; code: number; errCode: number; description: string };

/** What became of one publish of a batch: the stream's answer, or the error (timeout, no responders, closed). */
export type PublishOutcome = PublishAck | Error;

export interface PublishItem {
  data: Uint8Array;
  /** Nats-Expected-Last-Sequence. */
  expectLastSequence: number;
}

const EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence";

/**
 * The one header a chain append carries: a real MsgHdrs (get/has/toString work) whose wire form, for that one key, is
 * written from a template instead of by the generic per-key encoding. Same bytes: `NATS/1.0`, the key line, a blank line.
 */
class ExpectedSequenceHeaders extends MsgHdrsImpl {
  constructor(seq: number) {
    super();
    this.headers.set(EXPECTED_LAST_SEQUENCE, [String(seq)]);
  }

  override encode(): Uint8Array {
    const values = this.headers.get(EXPECTED_LAST_SEQUENCE);
    if (this.headers.size !== 1 || this._code !== 0 || values?.length !== 1) return super.encode();
    return Buffer.from(`NATS/1.0\r\n${EXPECTED_LAST_SEQUENCE}: ${values[0]}\r\n\r\n`, "utf8");
  }
}

/** The publishes of one call, settled together. */
interface Batch {
  readonly outcomes: (PublishOutcome | undefined)[];
  left: number;
  readonly done: (outcomes: PublishOutcome[]) => void;
}

interface Waiting {
  batch: Batch;
  index: number;
  deadline: number;
}

export class AckedPublisher {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, Waiting>();
  #prefix: string | undefined;
  #sub: Subscription | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
  }

  /** Publishes and resolves with the stream's answer; rejects on timeout, no responders or a closed connection. */
  async publish(subject: string, data: Uint8Array, expectLastSequence: number): Promise<PublishAck> {
    const [outcome] = await this.publishAll(subject, [{ data, expectLastSequence }]);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  }

  /**
   * Publishes every item at once, in order, and resolves when each has its answer or its error, outcomes in item
   * order. Never rejects: a failure is the outcome of the publishes it concerns.
   */
  publishAll(subject: string, items: readonly PublishItem[]): Promise<PublishOutcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<PublishOutcome[]>((done) => {
      const batch: Batch = { outcomes: new Array<PublishOutcome | undefined>(items.length), left: items.length, done };
      let prefix: string;
      try {
        prefix = this.#start();
      } catch (err) {
        for (let i = 0; i < items.length; i++) settle(batch, i, err as Error);
        return;
      }
      const deadline = Date.now() + this.#timeoutMs;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const token = this.#next++;
        this.#waiting.set(token, { batch, index: i, deadline });
        try {
          this.#nc.publish(subject, item.data, {
            reply: `${prefix}.${token}`,
            headers: new ExpectedSequenceHeaders(item.expectLastSequence),
          });
        } catch (err) {
          this.#waiting.delete(token);
          settle(batch, i, err as Error);
        }
      }
    });
  }

  close(): void {
    this.#sub?.unsubscribe();
    clearInterval(this.#sweep);
    this.#sub = undefined;
    this.#prefix = undefined;
    this.#failAll(new Error("publisher closed"));
  }

  #start(): string {
    if (this.#prefix) return this.#prefix;
    const prefix = createInbox();
    this.#sub = this.#nc.subscribe(`${prefix}.*`, {
      callback: (err, msg) => (err ? this.#failAll(err) : this.#answer(msg)),
    });
    this.#sweep = setInterval(() => this.#expire(), Math.min(1_000, this.#timeoutMs));
    this.#sweep.unref();
    this.#prefix = prefix;
    return prefix;
  }

  #answer(msg: Msg): void {
    const subject = msg.subject;
    const token = Number(subject.slice(subject.lastIndexOf(".") + 1));
    const waiting = this.#waiting.get(token);
    if (!waiting) return;
    this.#waiting.delete(token);
    settle(waiting.batch, waiting.index, parseAck(msg));
  }

  #expire(): void {
    const now = Date.now();
    // Insertion order is deadline order (one timeout for all): stop at the first that is not due.
    for (const [token, w] of this.#waiting) {
      if (w.deadline > now) break;
      this.#waiting.delete(token);
      settle(w.batch, w.index, new Error(`no JetStream ack within ${this.#timeoutMs} ms`));
    }
  }

  #failAll(err: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) settle(w.batch, w.index, err);
  }
}

function settle(batch: Batch, index: number, outcome: PublishOutcome): void {
  if (batch.outcomes[index] !== undefined) return;
  batch.outcomes[index] = outcome;
  if (--batch.left === 0) batch.done(batch.outcomes as PublishOutcome[]);
}

/**
 * The usual successful ack, `{"stream":"<name>", "seq":<n>}` (the server writes the space; none is taken too), read
 * with one regular expression instead of JSON.parse. Anything else (an error, a domain, a duplicate flag) goes through
 * JSON.parse. Stream names cannot hold `"` or `\`.
 */
const PLAIN_ACK = /^\{"stream":"[^"\\]*" ?, ?"seq" ?: ?(\d{1,15}) ?\}$/;

/** The stream's answer to one publish. */
function parseAck(msg: Msg): PublishOutcome {
  if (msg.data.length === 0 && msg.headers?.code === 503)
    return new Error(`no JetStream stream answers on this subject (503)`);
  try {
    const text = msg.string();
    const plain = PLAIN_ACK.exec(text);
    if (plain) return { ok: true, seq: Number(plain[1]) };
    const v = JSON.parse(text) as { seq?: number; error?: { code?: number; err_code?: number; description?: string } };
    if (v.error)
      return {
        ok: false,
        code: v.error.code ?? 0,
        errCode: v.error.err_code ?? 0,
        description: v.error.description ?? "",
      };
    if (typeof v.seq === "number") return { ok: true, seq: v.seq };
    return new Error("invalid JetStream publish ack");
  } catch (err) {
    return err as Error;
  }
}
