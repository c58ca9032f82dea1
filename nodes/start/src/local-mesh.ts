/**
 * A whole mesh on one machine (`plexus up`): a managed nats-server with JetStream, the mesh provisioned once as its
 * admin user (provision.ts), then, as the mesh's service user, an audit sealer, a registry node (MCP at /mcp; its
 * /readyz answers for the sealer too) and the A2A gateway, each optional. Stopping goes the other way round.
 */
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { SealerNode } from "@plexus/audit";
import type { A2AGateway } from "@plexus/a2a";
import {
  connectBus,
  isHistoryRefusal,
  launchNatsServer,
  operatorModeConfig,
  readAdminCreds,
  type MeshAuth,
  type NatsServerProcess,
} from "@plexus/bus";
import type { KeyPair } from "@plexus/identity";
import type { RegistryNode } from "@plexus/registry";
import { startGatewayProcess } from "./gateway.js";
import type { NodeLog } from "./log.js";
import { namePart, portInUsePart } from "./port-in-use.js";
import { provisionMesh } from "./provision.js";
import { startRegistry } from "./registry.js";
import { startMeshSealer } from "./sealer.js";

export interface LocalMeshOptions {
  mesh: string;
  /** JetStream data (and, under it, the registry's snapshots and the sealer's and gateway's history anchors). */
  dataDir: string;
  /** Client port; 0 picks a free one. */
  port: number;
  host: string;
  /** JetStream sync_interval ("always" or a Go duration); default: the server's. */
  fsync?: string | undefined;
  /** The mesh's replica setting (one local server: only 1 works); default: what the mesh's settings say, 1 when new. */
  replicas?: number | undefined;
  /** NATS operator mode with this mesh's auth (ensureMeshAuth); undefined: an open server. */
  auth?: MeshAuth | undefined;
  /** The key the sealer's checkpoints are signed with (the registry key); undefined: no sealer. */
  sealer?: { key: KeyPair } | undefined;
  registry?:
    | { key: KeyPair; http: { host: string; port: number } | false; trustAnchors?: string[] | undefined }
    | undefined;
  /**
   * The A2A gateway. A refused mesh log is said at error and the mesh runs without it; with `skipIfPortInUse` a taken
   * port is a warning and no gateway (`hint` is appended: how to choose another), otherwise an error.
   */
  gateway?:
    | { key: KeyPair; http: { host: string; port: number }; skipIfPortInUse?: { hint: string } | undefined }
    | undefined;
  /** Settles when the caller starts shutting down: from then on nats-server exiting is expected (a terminal's Ctrl-C). */
  shutdown?: Promise<unknown>;
  log: NodeLog;
}

export interface LocalMesh {
  readonly server: NatsServerProcess;
  /** Where agents connect. */
  readonly url: string;
  readonly stream: string;
  readonly sealer: SealerNode | undefined;
  readonly registry: RegistryNode | undefined;
  readonly gateway: A2AGateway | undefined;
  /** Resolves with the reason when nats-server exits on its own (never when the exit was expected). */
  readonly crashed: Promise<string>;
  /** Stops the gateway, the registry, the sealer, then nats-server. */
  stop(): Promise<void>;
}

/** Starts everything; a part that fails stops what was started before it. A taken port names its part (port-in-use.ts). */
export async function startLocalMesh(o: LocalMeshOptions): Promise<LocalMesh> {
  const server = await launchNatsServer({
    storeDir: o.dataDir,
    port: o.port === 0 ? -1 : o.port,
    host: o.host,
    ...(o.fsync !== undefined ? { syncInterval: o.fsync } : {}),
    ...(o.auth ? { extraConfig: await operatorModeConfig(o.auth.dir, join(o.dataDir, "accounts")) } : {}),
  }).catch((err: unknown) => Promise.reject(namePart(err, "nats")));
  const parts = new Parts(server);
  try {
    return await parts.start(o);
  } catch (err) {
    await parts.stop().catch(() => undefined);
    throw err;
  }
}

class Parts implements LocalMesh {
  readonly server: NatsServerProcess;
  readonly url: string;
  readonly crashed: Promise<string>;
  stream = "";
  sealer: SealerNode | undefined;
  registry: RegistryNode | undefined;
  gateway: A2AGateway | undefined;
  #nc: NatsConnection | undefined;
  #stopping = false;
  #crashed!: (reason: string) => void;

  constructor(server: NatsServerProcess) {
    this.server = server;
    this.url = server.url;
    this.crashed = new Promise<string>((r) => (this.#crashed = r));
  }

  async start(o: LocalMeshOptions): Promise<LocalMesh> {
    let shuttingDown = false;
    void o.shutdown?.then(() => (shuttingDown = true));
    this.server.onExit((exit) => {
      if (exit.expected || this.#stopping) return;
      // A terminal's Ctrl-C reaches nats-server too (same process group): give the caller's own SIGINT a moment to count.
      setTimeout(() => {
        if (!shuttingDown && !this.#stopping)
          this.#crashed(
            `nats-server exited unexpectedly (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`,
          );
      }, 250);
    });
    const admin = o.auth ? await readAdminCreds(o.auth.dir, o.mesh) : undefined;
    this.stream = await provisionMesh(this.url, o.mesh, admin ? { creds: admin } : undefined, o.log, {
      ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
    });
    const service = o.auth ? { creds: o.auth.serviceCreds } : undefined;
    this.#nc = await connectBus({ servers: this.url, name: "plexus up", ...(service ? { credentials: service } : {}) });
    if (o.sealer)
      this.sealer = await startMeshSealer({
        nc: this.#nc,
        mesh: o.mesh,
        key: o.sealer.key,
        historyDir: join(o.dataDir, "sealer", o.mesh),
        log: o.log,
      });
    if (o.registry) this.registry = await this.#startRegistry(o, o.registry);
    if (o.gateway) this.gateway = await this.#startGateway(o, o.gateway, service);
    return this;
  }

  #startRegistry(o: LocalMeshOptions, r: NonNullable<LocalMeshOptions["registry"]>): Promise<RegistryNode> {
    const sealer = this.sealer;
    // The registry's /readyz answers for the sealer too: 503 with its reason when it is stalled, refused or failed.
    const components = sealer ? { components: { sealer: () => sealer.status() } } : {};
    const tuning = {
      ...(o.auth ? { natsAuth: o.auth } : {}),
      ...(r.trustAnchors ? { trustAnchors: r.trustAnchors } : {}),
      ...components,
    };
    return startRegistry({
      nats: this.url,
      mesh: o.mesh,
      key: r.key,
      http: r.http,
      dataDir: join(o.dataDir, "registry", o.mesh),
      log: o.log,
      tuning,
    });
  }

  async #startGateway(
    o: LocalMeshOptions,
    g: NonNullable<LocalMeshOptions["gateway"]>,
    credentials: { creds: Uint8Array } | undefined,
  ): Promise<A2AGateway | undefined> {
    const historyDir = join(o.dataDir, "gateway", o.mesh);
    try {
      return await startGatewayProcess({
        nats: this.url,
        mesh: o.mesh,
        key: g.key,
        http: g.http,
        credentials,
        historyDir,
        log: o.log,
      });
    } catch (err) {
      if (g.skipIfPortInUse && portInUsePart(err) === "gateway-http") {
        o.log.warn(
          `no A2A gateway: port ${g.http.port} on ${g.http.host} is already in use (another gateway or plexus up?)${g.skipIfPortInUse.hint}`,
        );
        return undefined;
      }
      // A refused mesh log is said loudly; the mesh stays up so the registry's /readyz can say why too.
      if (!isHistoryRefusal(err)) throw err;
      o.log.error(`no A2A gateway: ${err.message} [${err.code}]`);
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const gateway = this.gateway;
    this.gateway = undefined;
    await gateway?.stop();
    const registry = this.registry;
    this.registry = undefined;
    await registry?.stop();
    const sealer = this.sealer;
    this.sealer = undefined;
    await sealer?.stop();
    if (this.#nc && !this.#nc.isClosed()) await this.#nc.close();
    if (this.server.running) await this.server.stop();
  }
}
