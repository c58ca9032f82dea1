/**
 * The identity's durable inbox as read_inbox sees it. A listener (agent.listen) feeds a buffer; each message's
 * handler waits until read_inbox hands the message out, so a message is acknowledged (and its sender gets the signed
 * processed receipt) only once the MCP client has it. Handlers run one at a time, so the buffer holds at most the
 * message being handed out; the rest wait unacknowledged in the durable consumer, bounded by its pipeline, and come
 * back after a restart if never read.
 */
import type { Delivery, Handler, Subscription } from "@plexus/sdk";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { McpMessage } from "./backend.js";

/** After a message was handed out, how long a read waits for the next one already in the pipeline. */
const DRAIN_MS = 100;

interface Held {
  message: McpMessage;
  take(): void;
  drop(err: Error): void;
}

export type Listen = (handler: Handler) => Promise<Subscription>;

export function toMcpMessage(d: Delivery): McpMessage {
  return {
    id: d.id,
    from: d.from,
    to: d.to ?? null,
    type: d.type,
    conversation: d.conversation ?? null,
    replyTo: d.replyTo ?? null,
    body: d.body,
    ts: d.ts,
    redelivered: d.redelivered,
  };
}

export class InboxReader {
  readonly #listen: Listen;
  readonly #held: Held[] = [];
  #waiters: ((arrived: boolean) => void)[] = [];
  #subscription: Promise<Subscription> | undefined;
  #closed = false;

  constructor(listen: Listen) {
    this.#listen = listen;
  }

  /** Starts listening (once). */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new PlexusError(ErrorCode.Closed, "the inbox reader was closed"));
    this.#subscription ??= this.#listen((d) => this.#arrive(d));
    return this.#subscription.then(() => undefined);
  }

  /** Up to `max` messages, oldest first; waits up to `waitMs` for the first when none is buffered. */
  async read(options: { max: number; waitMs: number }): Promise<McpMessage[]> {
    await this.start();
    const out: McpMessage[] = [];
    const deadline = Date.now() + options.waitMs;
    while (out.length < options.max) {
      const next = this.#held.shift();
      if (next) {
        out.push(next.message);
        next.take();
        continue;
      }
      const wait = out.length === 0 ? deadline - Date.now() : DRAIN_MS;
      if (wait <= 0 || !(await this.#arrival(wait))) break;
    }
    return out;
  }

  /** Returns what is buffered to the server (not acknowledged: it comes back) and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new PlexusError(ErrorCode.Closed, "the MCP server closed before the message was read");
    for (const h of this.#held.splice(0)) h.drop(closed);
    this.#wake(false);
    const sub = await this.#subscription?.catch(() => undefined);
    await sub?.stop();
  }

  #arrive(d: Delivery): Promise<void> {
    if (this.#closed) return Promise.reject(new PlexusError(ErrorCode.Closed, "the MCP server is closing"));
    return new Promise<void>((take, drop) => {
      this.#held.push({ message: toMcpMessage(d), take, drop });
      this.#wake(true);
    });
  }

  #arrival(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== settle);
        resolve(false);
      }, ms);
      const settle = (arrived: boolean) => {
        clearTimeout(timer);
        resolve(arrived);
      };
      this.#waiters.push(settle);
    });
  }

  #wake(arrived: boolean): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(arrived);
  }
}
