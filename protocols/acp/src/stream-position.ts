/**
 * Where a message is kept for good. Topic durables in operator mode read the topic stream, a copy (interest retention:
 * a message there is gone once every durable acked or terminated it); the message itself stays in the mesh stream, and
 * the copy's `Nats-Stream-Source` header names where ("<stream> <seq> <filter> <transform>", the stream possibly with
 * ":<hash>" for an external source). Records (rejections, dead letters) name that position, so an operator finds the
 * message in the log, and the reader judges the message by it (a key rotated away before that position).
 *
 * A publisher can set that header on what it publishes itself: it is believed only on a message read from the topic
 * stream (where only the server's sourcing writes) and only when it names the mesh stream.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { MeshSubjects } from "@plexus/core";

export interface StreamPosition {
  stream: string;
  seq: number;
}

const SOURCE_HEADER = "Nats-Stream-Source";

export function keptAt(m: JsMsg, subjects: Pick<MeshSubjects, "stream" | "topicStream">): StreamPosition {
  const source = m.info.stream === subjects.topicStream ? m.headers?.get(SOURCE_HEADER) : undefined;
  if (source) {
    const [stream, seq] = source.split(" ");
    const n = Number(seq);
    if (stream?.split(":")[0] === subjects.stream && Number.isSafeInteger(n) && n > 0)
      return { stream: subjects.stream, seq: n };
  }
  return { stream: m.info.stream, seq: m.seq };
}
