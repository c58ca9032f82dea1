import type { Envelope, MessageKind } from "@plexus/core";
import type { Accepted } from "./reader.js";
import type { OrderInfo } from "./replay-guard.js";

/** What a handler receives: the envelope's fields plus what the reader knows about this delivery. */
export interface Delivery {
  readonly id: string;
  readonly from: string;
  readonly to: string | undefined;
  readonly topic: string | undefined;
  readonly type: string;
  readonly conversation: string | undefined;
  readonly replyTo: string | undefined;
  readonly body: unknown;
  readonly ts: number;
  readonly seq: number;
  readonly kind: MessageKind;
  /** This message was handed out before: handlers must be idempotent on `id`. */
  readonly redelivered: boolean;
  /** 1 on the first delivery, counting every delivery of this stream message. */
  readonly attempt: number;
  /**
   * The message's position in the stream it was read from: the mesh stream, or for a topic subscription in NATS
   * operator mode the topic stream (see @plexus/core subjects.ts).
   */
  readonly streamSeq: number;
  /** Where this envelope stands in its sender's channel: gaps, reordering, a broken chain. */
  readonly order: OrderInfo;
  readonly envelope: Envelope;
}

export function toDelivery(a: Accepted): Delivery {
  const e = a.envelope;
  return {
    id: e.id,
    from: e.from,
    to: e.to,
    topic: e.topic,
    type: e.type,
    conversation: e.conversation,
    replyTo: e.replyTo,
    body: e.body,
    ts: e.ts,
    seq: e.seq,
    kind: a.kind,
    redelivered: a.redelivered,
    attempt: a.attempt,
    streamSeq: a.streamSeq,
    order: a.order,
    envelope: e,
  };
}

/** The JSON form the CLI prints with --json: one object per message. */
export function deliveryJson(d: Delivery): Record<string, unknown> {
  return {
    id: d.id,
    from: d.from,
    ...(d.to !== undefined ? { to: d.to } : {}),
    ...(d.topic !== undefined ? { topic: d.topic } : {}),
    type: d.type,
    conversation: d.conversation ?? null,
    ...(d.replyTo !== undefined ? { replyTo: d.replyTo } : {}),
    body: d.body,
    ts: d.ts,
    seq: d.seq,
    redelivered: d.redelivered,
    attempt: d.attempt,
    order: d.order.status,
    streamSeq: d.streamSeq,
  };
}
