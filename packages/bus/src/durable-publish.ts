import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, PlexusError } from "@plexus/core";

export interface DurablePublishOptions {
  /** The Nats-Msg-Id: a retry with the same id is stored once (within the stream's duplicate window). */
  msgID: string;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /**
   * Per-attempt wait for the PubAck (ms; default 2 s). When a cluster's stream leader dies, the publish in flight is
   * never acknowledged: this wait is how long a send stands still before it is tried again (with the same id, so it is
   * stored once) toward the new leader.
   */
  attemptTimeoutMs?: number;
}

const PERMANENT = new Set([
  "JetStreamApiError",
  "PermissionViolationError",
  "InvalidArgumentError",
  "InvalidSubjectError",
]);

function isPermanent(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? "";
  const message = (err as { message?: string }).message ?? "";
  return PERMANENT.has(name) || /maximum payload|message size exceeds/i.test(message);
}

const DEFAULT_ATTEMPT_TIMEOUT_MS = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes to JetStream and resolves only once the server has stored the message. Transient failures
 * (server restarting, disconnected client, ack lost) are retried with the same Nats-Msg-Id, so the message is
 * stored exactly once; a permanent refusal or the deadline is a PUBLISH_FAILED error.
 */
export async function publishDurably(
  nc: NatsConnection,
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  options: DurablePublishOptions,
): Promise<PubAck> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let pause = 50;
  for (;;) {
    try {
      return await js.publish(subject, data, {
        msgID: options.msgID,
        timeout: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
        retries: 1,
      });
    } catch (err) {
      if (nc.isClosed() || isPermanent(err) || Date.now() + pause > deadline) {
        throw new PlexusError(ErrorCode.PublishFailed, `publish to ${subject} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 500);
    }
  }
}
