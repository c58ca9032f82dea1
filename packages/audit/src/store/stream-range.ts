import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { orderedConsumerPrefix } from "@plexus/core/internal";

/**
 * Messages a reader asks the server for at once (the client re-pulls at half of it): large, because the verifier reads
 * millions; with envelopes of about 1 KB that is a few MB buffered.
 */
export const READ_BATCH = 8_192;

/**
 * Reads stream sequences `from`…`to` (inclusive) in order with an ordered consumer: no acks, no durable state,
 * recreated by the client at the right sequence if the server loses it. `to` must already be stored (callers pass the
 * stream's last_seq as of the call, or less); the read also ends when nothing is pending, so a stream whose last
 * messages were deleted (a tampered log: the services cannot delete) does not keep it waiting.
 */
export async function* readStreamRange(
  js: JetStreamClient,
  stream: string,
  from: number,
  to: number,
): AsyncGenerator<JsMsg> {
  if (to < from) return;
  const consumer = await js.consumers.get(stream, {
    opt_start_seq: Math.max(1, from),
    name_prefix: orderedConsumerPrefix(),
  });
  const messages = await consumer.consume({ max_messages: Math.min(READ_BATCH, to - from + 1) });
  try {
    for await (const m of messages) {
      if (m.seq > to) break;
      yield m;
      if (m.seq >= to || m.info.pending === 0) break;
    }
  } finally {
    await release(consumer, messages);
  }
}

/** Stops a consume and removes its (ephemeral, ordered) consumer from the server instead of leaving it to expire. */
export async function release(consumer: Consumer, messages: ConsumerMessages): Promise<void> {
  messages.stop();
  await consumer.delete().catch(() => undefined);
}
