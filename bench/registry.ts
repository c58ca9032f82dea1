/**
 * `npm run bench -- registry`: one registry node against a synthetic mesh log, on one nats-server.
 *
 * 1. Discovery at each size (10,000 then 100,000 agents; quick 1,000 and 10,000): the log grows by AgentJoined
 *    events (registry-signed, varied cards) interleaved with signed ACP traffic among the active agents and a few
 *    other registry events; a fresh node rebuilds it; p50/p99 of a fixed query mix in-process and over HTTP, with the
 *    naive full scan and GET /healthz as baselines (registry-discovery.ts).
 * 2. Heartbeats/s ingested by the node at 10,000 agents, against a bare KV watcher (registry-heartbeats.ts).
 * 3. CPU of a node in a child process with 10,000 agents beating every 5 s, against the same node idle
 *    (registry-cpu.ts).
 * 4. Rebuild: the log is extended to 1,000,000 events (quick 50,000); a fresh node's start until ready against a bare
 *    ordered consumer reading the same log; snapshot, a tail of 1%, restart from the snapshot (registry-rebuild.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { ed25519Backend } from "@plexus/identity/internal";
import type { NatsConnection } from "@nats-io/transport-node";
import type { RegistryNode } from "@plexus/registry";
import { environment, log, now, rate, round, startBenchServer, type BenchOptions, type BenchResult } from "./lib.js";
import { measureCpu } from "./registry-cpu.js";
import { measureDiscovery } from "./registry-discovery.js";
import { bareWatcherIngestion, checkOnly, nodeIngestion } from "./registry-heartbeats.js";
import { LogWriter, MeshLog } from "./registry-log.js";
import { Population, joinEvent } from "./registry-population.js";
import { bareRead, decodeCostUs, fullRebuild, snapshotRestart, startNode, type NodeSetup } from "./registry-rebuild.js";

export const description =
  "registry node: discovery p50/p99 at 10k/100k agents (in-process, HTTP), heartbeats/s, rebuild of 1M events, CPU with 10k live agents";

export const TARGETS = {
  discovery_p99_in_process_ms: 5,
  discovery_p99_http_ms: 20,
  heartbeats_per_s: 20_000,
  rebuild_s: 20,
} as const;

const MESH = "bench-registry";
/** Agents whose heartbeats are measured and that the CPU child holds. */
const HEARTBEAT_AGENTS = 10_000;
/** ACP messages per joined agent in the discovery stages, and the share of other registry events. */
const TRAFFIC_PER_JOIN = 2;
const EXTRA_SHARE = 0.01;
/** In the events that extend the log to its rebuild size: the share of registry events (the rest is ACP traffic). */
const REBUILD_REGISTRY_SHARE = 0.03;
const HOUR = 3_600_000;

function plan(quick: boolean) {
  return quick
    ? {
        sizes: [1_000, 10_000],
        active: 500,
        beats: 20_000,
        rebuildEvents: 50_000,
        cpu: { seconds: 5, warmupSeconds: 1, idleSeconds: 1 },
        queries: { queries: 400, http_queries: 200, naive_queries: 40, budget_ms: 3_000 },
      }
    : {
        sizes: [10_000, 100_000],
        active: 5_000,
        beats: 200_000,
        rebuildEvents: 1_000_000,
        cpu: { seconds: 30, warmupSeconds: 5, idleSeconds: 5 },
        queries: { queries: 2_000, http_queries: 1_000, naive_queries: 200, budget_ms: 30_000 },
      };
}

interface Ctx {
  nc: NatsConnection;
  url: string;
  writer: LogWriter;
  meshLog: MeshLog;
  setup: NodeSetup;
  plan: ReturnType<typeof plan>;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const p = plan(options.quick);
  const server = await startBenchServer();
  const nc = await connectBus({ servers: server.url, name: "bench-registry" });
  const tmp = await mkdtemp(join(tmpdir(), "plexus-bench-registry-"));
  const registry = generateKeyPair();
  const writer = new LogWriter(nc);
  const meshLog = new MeshLog({
    mesh: MESH,
    registry,
    population: new Population({ activeCount: p.active }),
    activeCount: p.active,
  });
  const setup: NodeSetup = {
    url: server.url,
    mesh: MESH,
    key: registry,
    heartbeatIntervalMs: HOUR,
    log: (line) => log(line),
  };
  const ctx: Ctx = { nc, url: server.url, writer, meshLog, setup, plan: p };
  try {
    log(
      `registry: nats-server ${server.version} at ${server.url}; sizes ${p.sizes.join(", ")}; rebuild log ${p.rebuildEvents}${options.quick ? " (quick)" : ""}`,
    );
    const discovery: Record<string, Awaited<ReturnType<typeof discoveryAt>>> = {};
    let live: Awaited<ReturnType<typeof liveAgents>> | undefined;
    for (const size of p.sizes) {
      const node = await grownNode(ctx, size);
      try {
        discovery[size] = await discoveryAt(ctx, node, size);
        if (size === HEARTBEAT_AGENTS) live = await liveAgents(ctx, node);
      } finally {
        await node.stop();
      }
    }
    if (!live) throw new Error(`no stage had ${HEARTBEAT_AGENTS} agents`);
    const rebuild = await rebuildSection(ctx, { ...setup, dataDir: join(tmp, "data") });
    const largest = discovery[p.sizes.at(-1)!]!;
    const figures = {
      discovery_p99_in_process_ms: largest.in_process.p99_ms,
      discovery_p99_http_ms: largest.http.p99_ms,
      heartbeats_per_s: live.heartbeats.node.ingest_per_s,
      rebuild_s: round(rebuild.rebuild_ms / 1000, 2),
    };
    return {
      bench: "registry",
      ...figures,
      cpu_percent: live.cpu.cpu_percent,
      discovery,
      heartbeats: live.heartbeats,
      cpu_10k_agents: live.cpu,
      rebuild,
      targets: { ...TARGETS, at_agents: p.sizes.at(-1), at_rebuild_events: p.rebuildEvents },
      met: {
        discovery_p99_in_process_ms: figures.discovery_p99_in_process_ms < TARGETS.discovery_p99_in_process_ms,
        discovery_p99_http_ms: figures.discovery_p99_http_ms < TARGETS.discovery_p99_http_ms,
        heartbeats_per_s: figures.heartbeats_per_s >= TARGETS.heartbeats_per_s,
        rebuild_s: figures.rebuild_s < TARGETS.rebuild_s,
      },
      quick: options.quick,
      nats_server: server.version,
      ed25519_signing: ed25519Backend(),
      ...environment(),
      date: new Date().toISOString(),
    };
  } finally {
    await nc.close().catch(() => undefined);
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Grows the log to `size` agents and starts a fresh node on it. */
async function grownNode(ctx: Ctx, size: number): Promise<RegistryNode> {
  const t0 = now();
  const joins = size - ctx.meshLog.joined;
  await ctx.meshLog.append(
    ctx.writer,
    { joinTo: size, traffic: joins * TRAFFIC_PER_JOIN, extras: Math.round(joins * EXTRA_SHARE) },
    `log to ${size} agents`,
  );
  log(
    `registry: log at ${ctx.meshLog.total} events (${ctx.meshLog.present} agents present) after ${round((now() - t0) / 1000, 1)} s`,
  );
  const node = await startNode(ctx.setup);
  log(
    `registry: node rebuilt ${node.status().rebuild.events} events in ${node.status().rebuild.ms} ms; measuring discovery`,
  );
  return node;
}

async function discoveryAt(ctx: Ctx, node: RegistryNode, size: number) {
  const d = await measureDiscovery(node, ctx.plan.queries);
  log(
    `registry: ${size} agents: in-process p50 ${d.in_process.p50_ms} / p99 ${d.in_process.p99_ms} ms (capability queries p99 ${d.in_process_capability.p99_ms}, naive scan ${d.naive_scan_capability.p99_ms}); ` +
      `HTTP p50 ${d.http.p50_ms} / p99 ${d.http.p99_ms} ms (healthz p99 ${d.http_healthz.p99_ms}); reputation table ${d.reputation_table_ms} ms`,
  );
  return {
    agents_present: ctx.meshLog.present,
    log_events: ctx.meshLog.total,
    rebuild_ms: node.status().rebuild.ms,
    ...d,
  };
}

/** Heartbeat ingestion on the running node (which it then stops, for the bare watcher), then the CPU child. */
async function liveAgents(ctx: Ctx, node: RegistryNode) {
  const agents = ctx.meshLog.population.agents.slice(0, ctx.meshLog.joined);
  const hb = { nc: ctx.nc, writer: ctx.writer, mesh: MESH, registry: ctx.setup.key, agents, n: ctx.plan.beats };
  const viaNode = await nodeIngestion(hb, node);
  await node.stop();
  const bare = await bareWatcherIngestion(hb);
  const heartbeats = {
    agents: agents.length,
    beats: hb.n,
    node: viaNode,
    bare_watcher: bare,
    check_only_per_s: checkOnly(hb),
    ratio: round(viaNode.ingest_per_s / bare.ingest_per_s, 2),
  };
  log(
    `registry: heartbeats: node ${viaNode.ingest_per_s}/s vs bare watcher ${bare.ingest_per_s}/s (publish ${viaNode.publish_per_s}/s)`,
  );
  const cpu = await measureCpu({
    url: ctx.url,
    nc: ctx.nc,
    writer: ctx.writer,
    registry: ctx.setup.key,
    ...ctx.plan.cpu,
  });
  log(
    `registry: cpu: ${cpu.cpu_percent}% beating vs ${cpu.idle_cpu_percent}% idle; alive ${cpu.alive_by_status}/${cpu.agents}`,
  );
  return { heartbeats, cpu };
}

/** Extends the log to its rebuild size, then the bare read, the full rebuild and the snapshot restart. */
async function rebuildSection(ctx: Ctx, setup: NodeSetup) {
  const { meshLog, writer, nc } = ctx;
  const events = ctx.plan.rebuildEvents;
  const t0 = now();
  const remaining = Math.max(0, events - meshLog.total);
  const extras = Math.round(remaining * REBUILD_REGISTRY_SHARE);
  await meshLog.append(
    writer,
    { joinTo: meshLog.joined, traffic: remaining - extras, extras, beats: false },
    `log to ${events} events`,
  );
  const writeMs = now() - t0;
  const composition = { ...meshLog.composition };
  const logEvents = meshLog.total;
  log(
    `registry: log at ${meshLog.total} events (${JSON.stringify(meshLog.composition)}), written at ${rate(remaining, writeMs)}/s`,
  );
  const bare = await bareRead(nc, meshLog.mesh);
  log(`registry: bare ordered consumer read ${bare.messages} messages at ${rate(bare.messages, bare.ms)}/s`);
  const { node, figures } = await fullRebuild(setup);
  log(
    `registry: node rebuilt ${figures.events} events in ${figures.rebuild_ms} ms (${figures.events_per_s}/s); peak RSS ${figures.rss_peak_mb} MB`,
  );
  const sample = meshLog.population.agents
    .slice(0, 2_000)
    .map((a) => joinEvent(setup.key, meshLog.mesh, a, Date.now()).data);
  const tailEvents = Math.round(events / 100);
  let decodeUs: number;
  let restart: Awaited<ReturnType<typeof snapshotRestart>>;
  try {
    decodeUs = decodeCostUs(sample, new Set([setup.key.did]));
    restart = await snapshotRestart(node, setup, async () => {
      const before = meshLog.total;
      const extras = Math.round(tailEvents * REBUILD_REGISTRY_SHARE);
      await meshLog.append(
        writer,
        { joinTo: meshLog.joined, traffic: tailEvents - extras, extras, beats: false },
        "tail",
      );
      return meshLog.total - before;
    });
  } finally {
    await node.stop();
  }
  log(
    `registry: snapshot ${restart.snapshot_mb} MB in ${restart.snapshot_write_ms} ms; restart replayed ${restart.restart_events_replayed} events in ${restart.restart_rebuild_ms} ms`,
  );
  // The same log as a node in operator mode projects it: publishers pinned, so only inbox signatures are checked.
  const pinned = await fullRebuild({ ...setup, dataDir: undefined, pinnedPublishers: true });
  await pinned.node.stop();
  log(
    `registry: node rebuilt ${pinned.figures.events} events with pinned publishers (operator mode) in ${pinned.figures.rebuild_ms} ms (${pinned.figures.events_per_s}/s)`,
  );
  return {
    pinned_publishers_rebuild_ms: pinned.figures.rebuild_ms,
    pinned_publishers_events_per_s: pinned.figures.events_per_s,
    log_events: logEvents,
    composition,
    ...figures,
    bare_read_per_s: rate(bare.messages, bare.ms),
    bare_read_ms: Math.round(bare.ms),
    ratio: round(figures.events_per_s / rate(bare.messages, bare.ms), 2),
    join_decode_us: decodeUs,
    join_decode_share: round((composition.joins * decodeUs) / 1000 / figures.rebuild_ms, 2),
    ...restart,
    max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
