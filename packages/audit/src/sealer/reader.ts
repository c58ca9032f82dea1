/**
 * The sealer's reader: follows the mesh log in order with an ordered consumer from the chain's head on, computes one
 * link per event (h_n from h_{n-1}, link-maker.ts) and queues it for the writer. It stays at most `readAhead` links
 * ahead of the chain and goes on when half of that is left (`roomFreed`). A log that skips a sequence (only a stream
 * deleted and created again does) fails the sealer; read errors are reported and retried with a growing pause.
 *
 * The client recreates an ordered consumer itself after a server restart, but not always: after the kill of a server
 * of a 3-server cluster the reader was seen to read nothing with no error, and the chain stood still (issue 14). So
 * `watch` (called by the stall watch with the log's end it read, every second) drops the consumer when the reader is
 * behind that end with nothing read for `READER_STALL_MS` and not held back on purpose (waiting for room): the loop
 * follows again from the next sequence, and says so in one line.
 */
import { jetstream, type Consumer, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Defaults, ErrorCode, meshSubjects, PlexusError } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import { logEvent } from "../store/mesh-log.js";
import { release } from "../store/stream-range.js";
import type { ChainHead } from "../types.js";
import { LinkMaker } from "./link-maker.js";
import { sleep, type LoopHost } from "./loop-host.js";

/**
 * Events the reader asks the server for at once (the client asks for more at half of it). Smaller than the verifier's
 * READ_BATCH: the sealer's reads share the connection with its appends, and an append's ack arrives behind the events
 * already on their way; more only buffers.
 */
const SEAL_READ_BATCH = 1_024;

/** Behind the log's end with nothing read for this long: the reader drops its consumer and follows again (ms). */
export const READER_STALL_MS = 3_000;

export interface ReaderHost extends LoopHost {
  nc: NatsConnection;
  mesh: string;
  raiseLogEnd(end: number): void;
  /** A link was queued. */
  wakeWriter(): void;
  /** One line for people: the watchdog's restarts. */
  log?: (line: string) => void;
}

export class LogReader {
  readonly #host: ReaderHost;
  /** Computes the links, from the head of the chain on. */
  readonly #links: LinkMaker;
  #next: number;
  readonly #readAhead: number;
  /** The reader waits for this when it is `#readAhead` links ahead of the chain; called when half of that is left. */
  #room: (() => void) | undefined;
  #reading: { consumer: Consumer; messages: ConsumerMessages } | undefined;
  /** When the reader last read an event, started a consumer, or was found current or held back by the watchdog. */
  #movedAt = Date.now();
  readonly #stallMs: number;
  #restarts = 0;

  /** From the event after `head`; `leaves`: compute each event's Merkle leaf hash too. */
  constructor(host: ReaderHost, head: ChainHead, readAhead: number, leaves: boolean, stallMs = READER_STALL_MS) {
    this.#host = host;
    this.#stallMs = stallMs;
    this.#links = new LinkMaker(head.hash, leaves);
    this.#next = head.size + 1;
    this.#readAhead = readAhead;
  }

  async run(): Promise<void> {
    const host = this.#host;
    const js = jetstream(host.nc);
    const stream = meshSubjects(host.mesh).stream;
    let pause = 100;
    while (host.running()) {
      try {
        const consumer = await js.consumers.get(stream, {
          opt_start_seq: this.#next,
          name_prefix: orderedConsumerPrefix(),
        });
        const messages = await consumer.consume({ max_messages: SEAL_READ_BATCH, expires: Defaults.pullExpiresMs });
        this.#reading = { consumer, messages };
        this.#movedAt = Date.now();
        if (!host.running()) break;
        for await (const m of messages) {
          this.#movedAt = Date.now();
          const event = logEvent(m);
          if (event.n !== this.#next) {
            // Sequences of the mesh stream never skip or restart unless the stream itself was deleted and recreated.
            host.fail(
              new PlexusError(ErrorCode.AuditStoreFailed, `the mesh log jumped from ${this.#next - 1} to ${event.n}`, {
                details: { position: this.#next },
              }),
            );
            break;
          }
          host.raiseLogEnd(event.n + m.info.pending);
          const link = this.#links.next(event);
          this.#next++;
          host.pending.push(link);
          host.wakeWriter();
          if (host.pending.length >= this.#readAhead && host.running()) {
            // Made room for by the sealer's confirm, or by its shutdown / failure (which change the state first, so a
            // reader that gets here after them does not wait).
            await new Promise<void>((resolve) => (this.#room = resolve));
          }
          if (!host.running()) break;
        }
        pause = 100;
      } catch (err) {
        if (!host.running()) break;
        host.report(err);
        await sleep(pause);
        pause = Math.min(pause * 2, 5_000);
      } finally {
        this.stop();
      }
    }
  }

  /** Times the watchdog dropped a consumer that read nothing. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * The watchdog, given the log's end just read: behind it, reading (not between consumers or pausing after an
   * error), not waiting for room, and with nothing read for the stall time, it stops the consumer; the loop then
   * follows again from the next sequence.
   */
  watch(end: number, now = Date.now()): void {
    if (!this.#host.running()) return;
    if (this.#next > end || this.#room || !this.#reading) {
      this.#movedAt = now;
      return;
    }
    const idle = now - this.#movedAt;
    if (idle < this.#stallMs) return;
    this.#restarts += 1;
    this.#movedAt = now;
    this.#host.log?.(
      `the sealer's log reader read nothing for ${(idle / 1000).toFixed(1)} s while ${end - this.#next + 1} events ` +
        `behind the end (${this.#next - 1} of ${end}): following again from ${this.#next}`,
    );
    this.stop();
  }

  /** Links were confirmed: the reader goes on when no more than half of its read-ahead is left. */
  roomFreed(): void {
    if (this.#room && this.#host.pending.length <= this.#readAhead / 2) this.makeRoom();
  }

  makeRoom(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  /** Stops the consumer being read (the loop ends when the sealer no longer runs). */
  stop(): void {
    const reading = this.#reading;
    this.#reading = undefined;
    if (reading) void release(reading.consumer, reading.messages);
  }
}
