/**
 * A throwaway JetStream cluster for tests: N nats-servers on loopback routed to each other (random client, route and
 * monitoring ports; a temp store each), kill and restart of any member on its own store and ports, the leader of any
 * stream, and a wait for the JetStream quorum. Operator mode on request, one auth folder trusted by every member.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchNatsServer, operatorModeConfig, type LaunchOptions, type NatsServerProcess } from "@plexus/bus";
import { ensureOperator } from "@plexus/bus/internal";
import { operatorAuth, type OperatorAuth } from "./operator.js";
import { ServerProcessView } from "./server-process-view.js";
import { until } from "./until.js";

export interface TestClusterOptions {
  /** Members (default 3). */
  servers?: number;
  /** Operator mode: one temporary auth folder, trusted by every member (full resolver, accounts preloaded). */
  operator?: boolean;
  /** JetStream fsync interval of every member. */
  syncInterval?: LaunchOptions["syncInterval"];
  /** Echo the members' output to stderr with their debug log. */
  debug?: boolean;
  /** Cluster name (default "plexus"). */
  name?: string;
}

/** One member: the server process, plus its route and monitoring ports (fixed across restarts). */
export interface TestClusterMember extends NatsServerProcess {
  readonly index: number;
  readonly routePort: number;
  /** http://127.0.0.1:PORT: /healthz, /jsz, /varz. */
  readonly monitorUrl: string;
}

export interface TestCluster extends AsyncDisposable {
  readonly servers: readonly TestClusterMember[];
  /** Every member's client URL. */
  readonly urls: string[];
  /** The client URLs comma-joined (what `--nats` and `connectBus({ servers })` take). */
  readonly url: string;
  readonly tempDir: string;
  /** Operator-mode helpers; throws when the cluster runs without auth. */
  readonly auth: OperatorAuth;
  /** Index of the member leading `stream` (a KV bucket's stream is `KV_<bucket>`), once one is elected. */
  leaderOf(stream: string, timeoutMs?: number): Promise<number>;
  /**
   * Resolves once every running member reports JetStream healthy and sees one meta leader, and that leader knows every
   * other running member as a peer (so a stream with as many replicas as running members can be placed; waited for
   * 15 s at most). Default 60 s.
   */
  waitForQuorum(timeoutMs?: number): Promise<void>;
  /** Stops every member and removes the temp folder; safe to call more than once. */
  cleanup(): Promise<void>;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const size = opts.servers ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new Error(`startTestCluster: servers must be at least 1, got ${size}`);
  const tempDir = await mkdtemp(join(tmpdir(), "plexus-cluster-"));
  const started: NatsServerProcess[] = [];
  try {
    const authDir = join(tempDir, "auth");
    if (opts.operator) await ensureOperator(authDir);
    const routePorts = await freePorts(size);
    const monitorPorts = await freePorts(size);
    const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
    const members = await Promise.all(
      routePorts.map(async (routePort, index) => {
        const cluster = [
          `http: "127.0.0.1:${monitorPorts[index]}"`,
          "cluster {",
          `  name: ${JSON.stringify(opts.name ?? "plexus")}`,
          `  listen: "127.0.0.1:${routePort}"`,
          `  routes: ${JSON.stringify(routes)}`,
          "}",
        ];
        if (opts.operator) cluster.push(await operatorModeConfig(authDir, join(tempDir, `resolver-${index}`)));
        const server = await launchNatsServer({
          storeDir: join(tempDir, `jetstream-${index}`),
          port: -1,
          serverName: `n${index + 1}`,
          extraConfig: cluster.join("\n"),
          ...(opts.syncInterval !== undefined ? { syncInterval: opts.syncInterval } : {}),
          ...(opts.debug ? { debug: true } : {}),
        });
        started.push(server);
        return member(server, index, routePort, `http://127.0.0.1:${monitorPorts[index]}`);
      }),
    );
    const cluster = new TestClusterImpl(members, tempDir, opts.operator === true, authDir);
    await cluster.waitForQuorum();
    if (!opts.operator && size > 1) await probePlacement(cluster.urls, size);
    return cluster;
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.stop()));
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Creates and deletes an R`size` stream until JetStream places it: a cluster that has just formed can answer "no
 * suitable peers" for a while on a loaded machine, and tests that create R3 streams at once would fail on it. Open
 * mode only (in operator mode there is no JetStream account before a mesh is made).
 */
async function probePlacement(urls: string[], size: number): Promise<void> {
  const nc = await connect({ servers: urls });
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const name = "PLEXUS_HARNESS_PLACEMENT_PROBE";
    await until(
      () =>
        jsm.streams
          .add({ name, subjects: ["plexus-harness.probe"], num_replicas: size, storage: StorageType.Memory })
          .then(() => jsm.streams.delete(name))
          .then(
            () => true,
            () => false,
          ),
      60_000,
      `an R${size} stream placed on the new cluster`,
    );
  } finally {
    await nc.close();
  }
}

function member(server: NatsServerProcess, index: number, routePort: number, monitorUrl: string): TestClusterMember {
  return new ClusterMember(server, index, routePort, monitorUrl);
}

class ClusterMember extends ServerProcessView implements TestClusterMember {
  readonly index: number;
  readonly routePort: number;
  readonly monitorUrl: string;

  constructor(server: NatsServerProcess, index: number, routePort: number, monitorUrl: string) {
    super(server);
    this.index = index;
    this.routePort = routePort;
    this.monitorUrl = monitorUrl;
  }
}

/** Ports free right now on 127.0.0.1 (held together while picked, so they are distinct). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

interface Jsz {
  server_name?: string;
  account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[];
}

/** How long waitForQuorum waits for the meta leader to know every running member, once the rest holds. */
const PEERS_WAIT_MS = 15_000;

interface MetaJsz {
  meta_cluster?: { leader?: string; replicas?: { name: string }[] };
}

class TestClusterImpl implements TestCluster {
  readonly servers: readonly TestClusterMember[];
  readonly tempDir: string;
  readonly #auth: OperatorAuth | undefined;
  #cleanup: Promise<void> | undefined;

  constructor(servers: TestClusterMember[], tempDir: string, operator: boolean, authDir: string) {
    this.servers = servers;
    this.tempDir = tempDir;
    this.#auth = operator ? operatorAuth(authDir, () => this.url) : undefined;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }
  get url(): string {
    return this.urls.join(",");
  }
  get auth(): OperatorAuth {
    if (!this.#auth) throw new Error("this test cluster runs without auth: start it with { operator: true }");
    return this.#auth;
  }

  async leaderOf(stream: string, timeoutMs = 20_000): Promise<number> {
    let leader = -1;
    await until(
      async () => {
        for (const s of this.servers) {
          if (!s.running) continue;
          const jsz = await getJson(`${s.monitorUrl}/jsz?accounts=true&streams=true`).catch(() => undefined);
          const body = jsz?.body as Jsz | undefined;
          for (const account of body?.account_details ?? []) {
            for (const detail of account.stream_detail ?? []) {
              if (detail.name !== stream || !detail.cluster?.leader) continue;
              const index = this.servers.findIndex((m) => m.name === detail.cluster?.leader);
              if (index >= 0 && this.servers[index]?.running) {
                leader = index;
                return true;
              }
            }
          }
        }
        return false;
      },
      timeoutMs,
      `a leader of stream ${stream}`,
    );
    return leader;
  }

  async waitForQuorum(timeoutMs = 60_000): Promise<void> {
    const started = Date.now();
    await until(
      async () => {
        const running = this.servers.filter((s) => s.running);
        const health = await Promise.all(
          running.map((s) => getJson(`${s.monitorUrl}/healthz`).catch(() => ({ status: 0, body: undefined }))),
        );
        if (!health.every((h) => h.status === 200)) return false;
        const views = await Promise.all(running.map((s) => getJson(`${s.monitorUrl}/jsz`).catch(() => undefined)));
        // Only the meta leader lists the others (replicas); every member knows the leader.
        const metas = views.map((v) => (v?.body as MetaJsz | undefined)?.meta_cluster);
        const leader = metas[0]?.leader;
        if (!leader || !metas.every((m) => m?.leader === leader)) return false;
        if (running.length === 1) return true;
        // Healthy members can still be waiting for the meta leader to learn of every running peer: until then, an R3
        // stream may not be placeable. Waited for a while (PEERS_WAIT_MS), not for ever: on a loaded machine the
        // leader's view lags, and creators of R3 streams retry placement anyway.
        if (Date.now() - started > PEERS_WAIT_MS) return true;
        const own = metas[running.findIndex((m) => m.name === leader)];
        const known = new Set((own?.replicas ?? []).map((r) => r.name));
        return running.every((m) => m.name === leader || known.has(m.name));
      },
      timeoutMs,
      "the cluster's JetStream quorum",
    );
  }

  cleanup(): Promise<void> {
    this.#cleanup ??= (async () => {
      try {
        await Promise.allSettled(this.servers.map((s) => s.stop()));
      } finally {
        await rm(this.tempDir, { recursive: true, force: true });
      }
    })();
    return this.#cleanup;
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.cleanup();
  }
}
