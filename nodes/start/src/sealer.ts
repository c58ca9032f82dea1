/**
 * The audit sealer as a process (`plexus audit seal`; compose's `sealer` service), and the sealer that `plexus up`
 * and a registry node run next to them. The sealing itself (writer lease, presence record, stall watch, the chain) is
 * @plexus/audit's `startSealerNode`; this file only composes it: a NATS connection, the folder of the history
 * anchors, the health endpoints, and the lines for people (every line that means the mesh is not being sealed as it
 * should at "error").
 */
import { mkdir } from "node:fs/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { serveSealerHealth, startSealerNode, type HealthServer, type SealerNode } from "@plexus/audit";
import { connectBus, startWithJetStream, type BusCredentials } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { NodeLog } from "./log.js";
import { namePart } from "./port-in-use.js";

export interface MeshSealerOptions {
  /** A connection the caller owns (not closed by the sealer's stop()). */
  nc: NatsConnection;
  mesh: string;
  /** Signs checkpoints and presence records (the registry key). */
  key: KeyPair;
  /** Where the history streams' creation times are kept across restarts (undefined: in memory). */
  historyDir: string | undefined;
  log: NodeLog;
  /** The sealer's id in presence records and the lease (default <host>-<pid>). */
  id?: string;
  /** Stops a start still waiting for JetStream (the start then rejects with CLOSED). */
  signal?: AbortSignal;
}

/**
 * A sealer node on a connection the caller owns: what up and the registry process run next to their other parts.
 * Started before the cluster has a quorum, it waits for JetStream (saying so), then starts.
 */
export async function startMeshSealer(o: MeshSealerOptions): Promise<SealerNode> {
  if (o.historyDir !== undefined) await mkdir(o.historyDir, { recursive: true });
  const start = () =>
    startSealerNode({
      nc: o.nc,
      mesh: o.mesh,
      key: o.key,
      ...(o.historyDir !== undefined ? { historyDir: o.historyDir } : {}),
      ...(o.id !== undefined ? { id: o.id } : {}),
      log: (level, line) =>
        level === "error" ? o.log.error(`audit sealer: ${line}`) : o.log.info(`plexus: audit sealer: ${line}`),
    });
  return startWithJetStream(o.nc, start, {
    streams: [meshSubjects(o.mesh).stream],
    log: (line) => o.log.info(`plexus: audit sealer: ${line}`),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

export interface SealerProcessOptions extends Omit<MeshSealerOptions, "nc"> {
  nats: string | string[];
  /** The mesh's service user, for a NATS server in operator mode. */
  credentials?: BusCredentials | undefined;
  /** Serve /healthz, /readyz and /v1/status here (false: no HTTP). */
  http: { host: string; port: number } | false;
}

export interface SealerProcess {
  readonly node: SealerNode;
  /** The health endpoints, when asked for. */
  readonly health: HealthServer | undefined;
  /** Closes the health endpoints, stops the sealer (last presence record, lease given up), closes the connection. */
  stop(): Promise<void>;
}

/** One sealer process: connects, seals or stands by, and serves its health. A taken --http port names "sealer-http". */
export async function startSealerProcess(o: SealerProcessOptions): Promise<SealerProcess> {
  const nc = await connectBus({
    servers: o.nats,
    name: "plexus audit seal",
    ...(o.credentials ? { credentials: o.credentials } : {}),
  });
  let node: SealerNode | undefined;
  try {
    node = await startMeshSealer({ ...o, nc });
    const running = node;
    const health = o.http
      ? await serveSealerHealth(() => running.status(), o.http).catch((err: unknown) =>
          Promise.reject(namePart(err, "sealer-http")),
        )
      : undefined;
    return {
      node: running,
      health,
      async stop() {
        await health?.close();
        await running.stop();
        if (!nc.isClosed()) await nc.close();
      },
    };
  } catch (err) {
    await node?.stop().catch(() => undefined);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
    throw err;
  }
}
