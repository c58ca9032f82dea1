/**
 * Waits until JetStream answers, for nodes that start while a cluster has no quorum yet (compose starting everything
 * at once, a restart of two of three servers). Without it a registry node exited after 7.7 s with `plexus: timeout`
 * (issue 14). It asks JetStream for the account's info and for each named stream (a stream not found is an answer:
 * the node creates it); while the answer is "unavailable" (no meta leader, no leader for the stream, no responders,
 * no answer in time) it says so in one line and tries again, 1 s after the first failure, doubling to 5 s. Anything
 * else is permanent (a refused permission, JetStream off for the account) and thrown: the node exits with it.
 *
 * A meta leader that has just lost its quorum still answers reads for up to ~10 s before it steps down, so a start can
 * pass the wait and then time out creating its streams: `startWithJetStream` waits, starts, and on a failure that
 * says JetStream is unavailable (the start having undone itself) waits and starts again.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, PlexusError } from "@plexus/core";
import { connectBus, type BusCredentials } from "./connection.js";
import { isJetStreamUnavailable, jetStreamError, unavailableReason } from "./jetstream-errors.js";

export interface WaitForJetStreamOptions {
  /** Where the waiting is said (one line per retry). */
  log?: (line: string) => void;
  /** Stops the waiting (it then rejects with CLOSED). */
  signal?: AbortSignal;
  /** Streams that must answer too (a KV bucket's stream is `KV_<bucket>`). */
  streams?: string[];
  /** First wait between attempts (default 1,000 ms), doubled up to `maxRetryMs` (default 5,000 ms). */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long each request may take (default 3,000 ms). */
  requestTimeoutMs?: number;
}

async function probe(nc: NatsConnection, o: WaitForJetStreamOptions): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc, { timeout: o.requestTimeoutMs ?? 3_000 });
  for (const stream of o.streams ?? []) {
    try {
      await jsm.streams.info(stream);
    } catch (err) {
      if ((err as Error).name !== "StreamNotFoundError") throw err;
    }
  }
  return jsm;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(new PlexusError(ErrorCode.Closed, "stopped while waiting for JetStream"));
    }
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
  });
}

/** Resolves with a JetStream manager once JetStream (and each named stream) answers; rejects on a permanent error. */
export async function waitForJetStream(nc: NatsConnection, o: WaitForJetStreamOptions = {}): Promise<JetStreamManager> {
  let delay = o.retryMs ?? 1_000;
  for (let attempt = 0; ; attempt += 1) {
    if (o.signal?.aborted) throw new PlexusError(ErrorCode.Closed, "stopped while waiting for JetStream");
    try {
      const jsm = await probe(nc, o);
      if (attempt > 0) o.log?.("JetStream is available: starting");
      return jsm;
    } catch (err) {
      if (!isJetStreamUnavailable(err) || nc.isClosed()) throw jetStreamError(err, "JetStream");
      const reason = unavailableReason(err);
      o.log?.(`waiting for JetStream (no quorum yet: ${reason}), retrying in ${Math.round(delay / 100) / 10}s`);
      await sleep(delay, o.signal);
      delay = Math.min(delay * 2, o.maxRetryMs ?? 5_000);
    }
  }
}

/**
 * The same wait on a connection of its own, closed afterwards: for a process that connects elsewhere (the A2A gateway
 * opens its connection inside its start).
 */
export async function waitForJetStreamAt(
  servers: string | string[],
  o: WaitForJetStreamOptions & { credentials?: BusCredentials | undefined; name?: string },
): Promise<void> {
  const nc = await connectBus({
    servers,
    name: o.name ?? "plexus (waiting for JetStream)",
    ...(o.credentials ? { credentials: o.credentials } : {}),
  });
  try {
    await waitForJetStream(nc, o);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * Waits for JetStream, then runs `start`; while `start` fails because JetStream is unavailable, says so, waits again
 * and runs it again (it must undo what it did before it throws). Other failures are thrown as they are.
 */
export async function startWithJetStream<T>(
  nc: NatsConnection,
  start: () => Promise<T>,
  o: WaitForJetStreamOptions = {},
): Promise<T> {
  for (;;) {
    await waitForJetStream(nc, o);
    try {
      return await start();
    } catch (err) {
      if (!isJetStreamUnavailable(err) || o.signal?.aborted || nc.isClosed()) throw err;
      o.log?.(`JetStream became unavailable while starting (${unavailableReason(err)}): waiting to start again`);
    }
  }
}
