import type { ConsumerMessages, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { Defaults, type MeshSubjects } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import { isRefused, type Accepted, type Reader } from "./reader.js";

export interface StreamTapOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: MeshSubjects;
  reader: Reader;
  filter: string;
  onAccepted: (accepted: Accepted) => void;
  onError?: (err: unknown) => void;
}

/**
 * Follows a subject with an ordered consumer from the stream's current end on, without acks: for what a live
 * process waits for (receipts of its own sends, replies to its own requests). Everything still goes through the
 * reader's checks. It starts after the last stored position as of `start()`, so nothing stored later is missed.
 */
export class StreamTap {
  readonly #o: StreamTapOptions;
  #messages: ConsumerMessages | undefined;
  #done: Promise<void> | undefined;

  constructor(options: StreamTapOptions) {
    this.#o = options;
  }

  async start(): Promise<this> {
    const info = await this.#o.jsm.streams.info(this.#o.subjects.stream);
    const consumer = await this.#o.js.consumers.get(this.#o.subjects.stream, {
      // One filter, as a string: the create request then names it in its subject, where permissions can pin it.
      filter_subjects: this.#o.filter,
      name_prefix: orderedConsumerPrefix(),
      opt_start_seq: info.state.last_seq + 1,
    });
    this.#messages = await consumer.consume({ max_messages: 512, expires: Defaults.pullExpiresMs });
    this.#done = this.#run(this.#messages);
    return this;
  }

  /** One message's failure (in the checks or in `onAccepted`) is reported and the tap goes on: nothing ends it but `stop`. */
  async #run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        try {
          const accepted = await this.#o.reader.accept(m);
          if (!isRefused(accepted)) this.#o.onAccepted(accepted);
        } catch (err) {
          this.#o.onError?.(err);
        }
      }
    } catch (err) {
      this.#o.onError?.(err);
    }
  }

  async stop(): Promise<void> {
    this.#messages?.stop();
    await this.#done;
  }
}
