/**
 * Where a message is kept for good. Topic durables in operator mode read the topic stream, a copy (interest retention:
 * a message there is gone once every durable acked or terminated it); the message itself stays in the mesh stream, and
 * the copy's `Nats-Stream-Source` header names where ("<stream> <seq> <filter> <transform>", the stream possibly with
 * ":<hash>" for an external source). Records (rejections, dead letters) name that position, so an operator finds the
 * message in the log.
 */
import type { JsMsg } from "@nats-io/jetstream";

export interface StreamPosition {
  stream: string;
  seq: number;
}

const SOURCE_HEADER = "Nats-Stream-Source";

export function keptAt(m: JsMsg): StreamPosition {
  const source = m.headers?.get(SOURCE_HEADER);
  if (source) {
    const [stream, seq] = source.split(" ");
    const n = Number(seq);
    if (stream && Number.isSafeInteger(n) && n > 0) return { stream: stream.split(":")[0]!, seq: n };
  }
  return { stream: m.info.stream, seq: m.seq };
}
