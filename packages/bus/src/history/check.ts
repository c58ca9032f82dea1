/**
 * Is a history stream still one that keeps all of its history? A pure look at the server's StreamInfo, so every node
 * (registry, sealer, gateway) and every one-shot command judges a stream the same way.
 *
 * Two kinds of harm are told apart, each with its own stable code:
 * - HISTORY_STREAM_WEAKENED: the configuration would let history go (limits retention off, a message/byte/age/per-subject
 *   limit, deny_delete or deny_purge off, rollups or per-message TTLs allowed, memory storage), or lets others write
 *   into it or a changed copy out of it (mirror, sources, republish, subject transform), or stops it (sealed). Someone holding admin
 *   credentials changed it, or created it that way.
 * - HISTORY_STREAM_TRUNCATED: the state shows history already gone: the first message is not sequence 1, or the count
 *   of messages is not the last sequence (deleted ones). This is what `STREAM.UPDATE max_msgs` leaves behind even after
 *   the limit is taken back off, so a configuration check alone would miss it.
 * The stream's identity (deleted and created again: HISTORY_STREAM_RECREATED) is checked against an anchor, see
 * anchors.ts.
 */
import { RetentionPolicy, StorageType, type StreamInfo } from "@nats-io/jetstream";
import { ErrorCode, isPlexusError, PlexusError } from "@plexus/core";

/** The four refusal codes of a history stream. */
export const HISTORY_REFUSAL_CODES: readonly ErrorCode[] = [
  ErrorCode.HistoryStreamWeakened,
  ErrorCode.HistoryStreamTruncated,
  ErrorCode.HistoryStreamRecreated,
  ErrorCode.HistoryStreamMissing,
];

/** Whether `err` is a history stream's refusal (one of HISTORY_REFUSAL_CODES). */
export function isHistoryRefusal(err: unknown): err is PlexusError {
  return isPlexusError(err) && HISTORY_REFUSAL_CODES.includes(err.code);
}

/** The refusal of one stream: a PlexusError with a HISTORY_STREAM_* code and `details.stream` / `details.reason`. */
export function historyRefusal(
  code: ErrorCode,
  stream: string,
  reason: string,
  details: Record<string, unknown> = {},
): PlexusError {
  return new PlexusError(code, `history stream ${stream} refused: ${reason}`, {
    details: { stream, reason, ...details },
  });
}

/** The settings of `info` that would let history be lost, in words; empty when there are none. */
export function weakenedSettings(info: StreamInfo): string[] {
  const c = info.config;
  const found: string[] = [];
  if (c.retention !== RetentionPolicy.Limits) found.push(`retention is ${c.retention}, not limits`);
  if (c.storage !== StorageType.File) found.push(`storage is ${c.storage}, not file`);
  if (c.deny_delete !== true) found.push("deny_delete is off");
  if (c.deny_purge !== true) found.push("deny_purge is off");
  if (c.allow_rollup_hdrs === true) found.push("rollup headers are allowed");
  if (c.allow_msg_ttl === true) found.push("per-message TTLs are allowed");
  if (c.max_msgs > 0) found.push(`max_msgs is ${c.max_msgs}`);
  if (c.max_bytes > 0) found.push(`max_bytes is ${c.max_bytes}`);
  if (c.max_age > 0) found.push(`max_age is ${c.max_age / 1e9}s`);
  if (c.max_msgs_per_subject > 0) found.push(`max_msgs_per_subject is ${c.max_msgs_per_subject}`);
  // Not losses by themselves, but a log that others write into (a mirror, sources), that copies itself elsewhere with
  // changes (republish, a subject transform) or takes nothing more (sealed) is not the log the mesh appends to.
  if (c.mirror) found.push(`it mirrors ${c.mirror.name}`);
  if ((c.sources?.length ?? 0) > 0) found.push(`it sources ${c.sources!.map((x) => x.name).join(", ")}`);
  if (c.republish) found.push("it republishes its messages");
  if (c.subject_transform) found.push("it transforms subjects");
  if (c.sealed === true) found.push("it is sealed");
  return found;
}

/** What the state says is gone, in words; undefined when the stream holds every message it ever stored. */
export function lostHistory(info: StreamInfo): string | undefined {
  const s = info.state;
  if (s.last_seq === 0) return undefined;
  if (s.first_seq > 1)
    return `its first message is sequence ${s.first_seq}: ${s.first_seq - 1} earlier messages are gone`;
  if (s.messages !== s.last_seq)
    return `it holds ${s.messages} messages of ${s.last_seq} stored (${s.num_deleted ?? s.last_seq - s.messages} deleted)`;
  return undefined;
}

/** The configuration and state verdict on one stream: undefined when it keeps all history, else the refusal. */
export function checkHistoryStream(info: StreamInfo): PlexusError | undefined {
  const name = info.config.name;
  const weak = weakenedSettings(info);
  if (weak.length > 0)
    return historyRefusal(ErrorCode.HistoryStreamWeakened, name, weak.join(", "), { settings: weak });
  const lost = lostHistory(info);
  if (lost)
    return historyRefusal(ErrorCode.HistoryStreamTruncated, name, lost, {
      firstSeq: info.state.first_seq,
      lastSeq: info.state.last_seq,
      messages: info.state.messages,
    });
  return undefined;
}
