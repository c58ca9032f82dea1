/**
 * Reading a stream range for the verifier in batches: an ordered consumer in callback mode, whose messages are
 * decoded as they arrive and handed over as arrays (a BatchedSource for the Cursor), so a read costs one promise per
 * batch instead of the three async-iterator hops per message of `readStreamRange` under an async generator. The same
 * consumer settings as readStreamRange (ordered, no acks, READ_BATCH messages asked for at once, deleted after the
 * read). The range's end is fixed when the read starts (`ready`): the stream's last sequence then, or `to` if lower.
 * A read also ends when the consumer has nothing pending: the last messages of the range were deleted (from a stream
 * a privileged client made deletable), and a read that waited for the last sequence would never end.
 */
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, meshSubjects, PlexusError } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import { auditStreamNames } from "../store/jetstream-store.js";
import { logEvent } from "../store/mesh-log.js";
import { READ_BATCH, release } from "../store/stream-range.js";
import type { ChainLink, LogEvent } from "../types.js";
import type { BatchedSource } from "./cursor.js";
import { decodeStoredLink } from "./link-decoder.js";

export interface StreamBatches<T> extends BatchedSource<T> {
  /** Resolves once the end of the range is fixed (the read has started). */
  ready: Promise<void>;
}

/** Events from…to of the mesh log (to: default and at most the log's end when the read starts). */
export function meshLogBatches(nc: NatsConnection, mesh: string, from: number, to?: number): StreamBatches<LogEvent> {
  return streamBatches(nc, meshSubjects(mesh).stream, from, to, logEvent);
}

/** Links from…to of a mesh's JetStream chain stream, decoded as JetStreamAuditStore.links decodes them (faster). */
export function chainBatches(nc: NatsConnection, mesh: string, from: number, to?: number): StreamBatches<ChainLink> {
  return streamBatches(nc, auditStreamNames(mesh).chainStream, from, to, (m) => decodeStoredLink(m.data, m.seq));
}

function streamBatches<T>(
  nc: NatsConnection,
  stream: string,
  from: number,
  to: number | undefined,
  decode: (m: JsMsg) => T,
): StreamBatches<T> {
  const reader = new BatchReader(nc, stream, Math.max(1, from), to, decode);
  let taken = false;
  return {
    ready: reader.ready,
    batches: () => {
      if (taken)
        throw new PlexusError(ErrorCode.InvalidArgument, `a batched read of ${stream} can only be iterated once`);
      taken = true;
      return reader;
    },
  };
}

class BatchReader<T> implements AsyncIterator<T[]> {
  readonly ready: Promise<void>;
  readonly #decode: (m: JsMsg) => T;
  #buf: T[] = [];
  #wake: (() => void) | undefined;
  #error: unknown;
  /** Every message of the range arrived (or the range is empty). */
  #complete = false;
  #closed = false;
  #stop: (() => Promise<void>) | undefined;

  constructor(nc: NatsConnection, stream: string, from: number, to: number | undefined, decode: (m: JsMsg) => T) {
    this.#decode = decode;
    this.ready = this.#start(nc, stream, from, to).catch((err: unknown) => {
      this.#error =
        err instanceof PlexusError
          ? err
          : new PlexusError(
              ErrorCode.AuditStoreFailed,
              `cannot read ${stream}: ${(err as Error)?.message ?? String(err)}`,
              { cause: err },
            );
      this.#signal();
    });
  }

  async #start(nc: NatsConnection, stream: string, from: number, to: number | undefined): Promise<void> {
    const { state } = await (await jetstreamManager(nc)).streams.info(stream);
    const last = to === undefined ? state.last_seq : Math.min(to, state.last_seq);
    if (last < from || state.messages === 0 || state.first_seq > last) {
      this.#complete = true;
      return;
    }
    const consumer = await jetstream(nc).consumers.get(stream, {
      opt_start_seq: from,
      name_prefix: orderedConsumerPrefix(),
    });
    const messages = await consumer.consume({
      max_messages: Math.min(READ_BATCH, last - from + 1),
      callback: (m) => {
        if (this.#complete || m.seq > last) return;
        this.#buf.push(this.#decode(m));
        // Nothing pending after this one: the messages up to `last` were deleted (waiting for them would never end).
        if (m.seq >= last || m.info.pending === 0) this.#complete = true;
        this.#signal();
      },
    });
    this.#stop = () => release(consumer, messages);
    void messages.closed().then((err) => {
      if (this.#complete || this.#closed) return;
      this.#error = new PlexusError(
        ErrorCode.AuditStoreFailed,
        `the read of ${stream} stopped before sequence ${last}${err ? `: ${err.message}` : ""}`,
        err ? { cause: err } : {},
      );
      this.#signal();
    });
    if (this.#closed) await this.#release();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #release(): Promise<void> {
    const stop = this.#stop;
    this.#stop = undefined;
    await stop?.();
  }

  async next(): Promise<IteratorResult<T[]>> {
    await this.ready;
    for (;;) {
      if (this.#buf.length > 0) {
        const batch = this.#buf;
        this.#buf = [];
        return { done: false, value: batch };
      }
      if (this.#error !== undefined) {
        await this.#release();
        throw this.#error;
      }
      if (this.#complete || this.#closed) {
        await this.#release();
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<T[]>> {
    this.#closed = true;
    this.#buf = [];
    this.#signal();
    await this.ready;
    await this.#release();
    return { done: true, value: undefined };
  }
}
