/**
 * The mesh's event log as the sealer and the verifier read it: the mesh stream, sequence n = position n. The stream
 * denies delete and purge, so its sequences are contiguous from 1 (see @plexus/bus meshStreamConfig).
 */
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { meshSubjects } from "@plexus/core";
import type { LogEvent } from "../types.js";
import { readStreamRange } from "./stream-range.js";

/** The last sequence of the mesh stream: how many events the log holds now. */
export async function meshLogEnd(nc: NatsConnection, mesh: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(meshSubjects(mesh).stream)).state.last_seq;
}

/**
 * Events `from`…`to` of the mesh log, in order. Without `to` (or with a `to` beyond it) the read stops at the end of
 * the log as of the call; events stored later are not waited for.
 */
export async function* readMeshLog(
  nc: NatsConnection,
  mesh: string,
  from: number,
  to?: number,
): AsyncGenerator<LogEvent> {
  const end = await meshLogEnd(nc, mesh);
  const last = to === undefined ? end : Math.min(to, end);
  for await (const m of readStreamRange(jetstream(nc), meshSubjects(mesh).stream, Math.max(1, from), last)) {
    yield logEvent(m);
  }
}

/**
 * A mesh stream message as a log event. `storedAt` is the stream's timestamp in whole ms, exactly as `JsMsg.time`
 * reads it (the client parses the nanoseconds as a number, whatever its typings say).
 */
export function logEvent(m: JsMsg): LogEvent {
  const info = m.info;
  return {
    n: info.streamSequence,
    subject: m.subject,
    data: m.data,
    storedAt: Math.floor(Number(info.timestampNanos) / 1_000_000),
  };
}
