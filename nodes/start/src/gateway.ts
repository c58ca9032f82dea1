/**
 * The A2A gateway as a process (`plexus gateway start`; the gateway `plexus up` runs): @plexus/a2a's gateway, its
 * errors as lines for people. Loaded on demand: @a2a-js/sdk and the HTTP server weigh on the start of every CLI
 * command that imports this package, and most never run a gateway.
 */
import type { A2AGateway } from "@plexus/a2a";
import { isHistoryRefusal, isJetStreamUnavailable, waitForJetStreamAt, type BusCredentials } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { NodeLog } from "./log.js";
import { namePart } from "./port-in-use.js";

export interface GatewayProcessOptions {
  nats: string | string[];
  mesh: string;
  /** The gateway's identity on the mesh: it signs what it forwards. */
  key: KeyPair;
  http: { host: string; port: number };
  /** The base URL the agent cards advertise, when callers come through a proxy. */
  publicUrl?: string | undefined;
  /** The mesh's service user, for a NATS server in operator mode. */
  credentials?: BusCredentials | undefined;
  /** Where the gateway remembers the mesh log's creation time (see @plexus/bus HistoryAnchors); memory without one. */
  historyDir?: string | undefined;
  log: NodeLog;
  /** Stops a start still waiting for JetStream (the start then rejects with CLOSED). */
  signal?: AbortSignal;
}

/**
 * Starts the gateway, once JetStream answers (a cluster without quorum: it waits, saying so). A taken port is an error
 * naming "gateway-http" (port-in-use.ts).
 */
export async function startGatewayProcess(o: GatewayProcessOptions): Promise<A2AGateway> {
  const wait = {
    credentials: o.credentials,
    name: "plexus gateway (waiting for JetStream)",
    streams: [meshSubjects(o.mesh).stream],
    log: (line: string) => o.log.info(`plexus: ${line}`),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const { startGateway } = await import("@plexus/a2a");
  for (;;) {
    await waitForJetStreamAt(o.nats, wait);
    try {
      return await startGateway({
        nats: o.nats,
        mesh: o.mesh,
        key: o.key,
        http: o.http,
        ...(o.publicUrl !== undefined ? { publicUrl: o.publicUrl } : {}),
        ...(o.credentials ? { credentials: o.credentials } : {}),
        ...(o.historyDir !== undefined ? { historyDir: o.historyDir } : {}),
        onError: (err) =>
          isHistoryRefusal(err)
            ? o.log.error(`A2A gateway: ${err.message} [${err.code}]; answering 503 from now on`)
            : o.log.warn(`A2A gateway: ${err instanceof Error ? err.message : String(err)}`),
      });
    } catch (err) {
      // JetStream lost again while starting (a leader that had not yet noticed its lost quorum): wait and start again.
      if (!isJetStreamUnavailable(err) || o.signal?.aborted) throw namePart(err, "gateway-http");
      o.log.info("plexus: JetStream became unavailable while starting the gateway: waiting to start again");
    }
  }
}
