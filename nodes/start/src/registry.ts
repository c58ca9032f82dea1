/**
 * The registry node as a process (`plexus registry start`; compose's `registry-1`, `registry-2`): a registry node
 * with its MCP endpoint injected (registry-mcp.ts), and an audit sealer next to it unless asked not to. The registry,
 * hono, did-jwt and the MCP SDK are loaded on demand: most CLI commands import this package and never run a node.
 */
import { mkdir } from "node:fs/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import type { SealerNode } from "@plexus/audit";
import { connectBus, type BusCredentials } from "@plexus/bus";
import type { KeyPair } from "@plexus/identity";
import type { RegistryMcpFactory, RegistryNode, RegistryNodeOptions } from "@plexus/registry";
import type { NodeLog } from "./log.js";
import { namePart } from "./port-in-use.js";
import { startMeshSealer } from "./sealer.js";

/**
 * The /mcp handler factory to give a registry node (RegistryNodeOptions.mcp), loaded on demand with the MCP SDK;
 * `allowedHosts`: more Host values it accepts (host:port of the node's public URLs).
 */
export async function loadRegistryMcp(options: { allowedHosts?: readonly string[] } = {}): Promise<RegistryMcpFactory> {
  return (await import("./registry-mcp.js")).registryMcpWith(options);
}

export interface RegistryOptions {
  nats: string | string[];
  mesh: string;
  /** The registry key: signs events, credentials, challenges (and the sealer's checkpoints). */
  key: KeyPair;
  /** The HTTP API (and /mcp) address; false: none. */
  http: { host: string; port: number } | false;
  /** Snapshot folder (created when missing); undefined: every start replays the whole log. */
  dataDir: string | undefined;
  /** Liveness, credential, reputation and auth settings; defaults when absent. */
  tuning?: Partial<RegistryNodeOptions>;
  log: NodeLog;
  /** Stops a start still waiting for JetStream (a cluster without quorum); the start then rejects with CLOSED. */
  signal?: AbortSignal;
}

/** A registry node serving MCP at /mcp. A taken HTTP port is an error naming "registry-http" (port-in-use.ts). */
export async function startRegistry(o: RegistryOptions): Promise<RegistryNode> {
  if (o.dataDir !== undefined) await mkdir(o.dataDir, { recursive: true });
  const [{ startRegistryNode }, registryMcp] = await Promise.all([import("@plexus/registry"), loadRegistryMcp()]);
  const options: RegistryNodeOptions = {
    mcp: registryMcp,
    ...o.tuning,
    nats: o.nats,
    mesh: o.mesh,
    key: o.key,
    http: o.http,
    log: (line) => o.log.info(`plexus: ${line}`),
    // Loud: the node stays up only to say why it is not ready (/readyz 503).
    onRefused: (refusal) =>
      o.log.error(`registry: ${refusal.message} [${refusal.code}]; not ready, not following the log`),
  };
  if (o.dataDir !== undefined) options.dataDir = o.dataDir;
  if (o.signal) options.signal = o.signal;
  return startRegistryNode(options).catch((err: unknown) => Promise.reject(namePart(err, "registry-http")));
}

export interface RegistryProcessOptions extends RegistryOptions {
  /** Run an audit sealer next to the node (default true), on its own connection as this user. */
  sealer?: { credentials?: BusCredentials | undefined; historyDir: string | undefined } | false;
}

export interface RegistryProcess {
  readonly node: RegistryNode;
  /** The sealer next to the node (undefined: none asked for, or it could not start: see /readyz). */
  readonly sealer: SealerNode | undefined;
  /** Stops the node, then the sealer, and closes the sealer's connection. */
  stop(): Promise<void>;
}

type FailedSealer = { ready: false; state: "failed"; problem: { code: string; reason: string; since: number } };

/**
 * A registry node and its sealer. A sealer that cannot start (NATS refusing the sealers bucket to a service user issued
 * before it existed: run plexus init) does not keep the registry down; it is said at error and /readyz answers 503.
 */
export async function startRegistryProcess(o: RegistryProcessOptions): Promise<RegistryProcess> {
  let nc: NatsConnection | undefined;
  let sealer: SealerNode | undefined;
  let failure: FailedSealer | undefined;
  try {
    if (o.sealer !== false) {
      const { credentials, historyDir } = o.sealer ?? { historyDir: undefined };
      nc = await connectBus({
        servers: o.nats,
        name: "plexus registry (sealer)",
        ...(credentials ? { credentials } : {}),
      });
      const signal = o.signal ? { signal: o.signal } : {};
      sealer = await startMeshSealer({ nc, mesh: o.mesh, key: o.key, historyDir, log: o.log, ...signal }).catch(
        (err: unknown) => {
          // Given up while waiting for JetStream: the whole start is.
          if (o.signal?.aborted) throw err;
          const reason = (err as Error).message;
          o.log.error(`audit sealer: could not start: ${reason}; not sealing here`);
          failure = {
            ready: false,
            state: "failed",
            problem: { code: (err as { code?: string }).code ?? "AUDIT_STORE_FAILED", reason, since: Date.now() },
          };
          return undefined;
        },
      );
    }
    const running = sealer;
    const failed = failure;
    const status = running ? () => running.status() : failed ? () => failed : undefined;
    const tuning = status ? { ...o.tuning, components: { ...o.tuning?.components, sealer: status } } : o.tuning;
    const node = await startRegistry({ ...o, ...(tuning ? { tuning } : {}) });
    const conn = nc;
    return {
      node,
      sealer: running,
      async stop() {
        await node.stop();
        await running?.stop();
        if (conn && !conn.isClosed()) await conn.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await sealer?.stop().catch(() => undefined);
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    throw err;
  }
}
