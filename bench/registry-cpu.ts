/**
 * CPU of one registry node (a child process, bench/registry-node-child.ts) whose log holds AGENTS joined agents,
 * while this process simulates all of them beating every 5 s: AGENTS / 5 beats per second, timer-paced, each a
 * `kv.put` of a fresh beat as the SDK's Heartbeater makes it. The child reports its own process.cpuUsage():
 *   - beating: over `seconds`, after a warm-up;
 *   - idle (the baseline): the same node with no beats arriving, right after.
 * Then the node is asked over NATS (RegistryClient, as any client would) how many agents are alive.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Kvm } from "@nats-io/kv";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { RegistryClient } from "@plexus/anp";
import { beatKeyFor, heartbeatSecret, makeBeat } from "@plexus/anp/internal";
import { meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import { log, paced, round, sleep } from "./lib.js";
import { MeshLog, type LogWriter } from "./registry-log.js";
import { Population } from "./registry-population.js";

const AGENTS = 10_000;
const INTERVAL_S = 5;

interface Sample {
  t: number;
  cpu_us: number;
  beats: number;
  agents: { present: number; alive: number };
  rss: number;
}

/** The child node, spoken to line by line. */
class ChildNode {
  readonly #child: ChildProcess;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  static async start(
    url: string,
    mesh: string,
    registry: KeyPair,
  ): Promise<{ child: ChildNode; ready: { pid: number; rebuild: { events: number; ms: number } } }> {
    const script = fileURLToPath(new URL("./registry-node-child.ts", import.meta.url));
    const env = {
      ...process.env,
      BENCH_NATS: url,
      BENCH_MESH: mesh,
      BENCH_REGISTRY_SEED: Buffer.from(registry.exportSeed()).toString("hex"),
    };
    const proc = spawn(process.execPath, ["--import", "tsx", script], { env, stdio: ["pipe", "pipe", "pipe"] });
    void (async () => {
      for await (const line of createInterface({ input: proc.stderr! })) log(`registry: cpu child: ${line}`);
    })();
    const child = new ChildNode(proc);
    return { child, ready: (await child.#next()) as { pid: number; rebuild: { events: number; ms: number } } };
  }

  /** Why the child is gone, once it is. */
  get exited(): string | undefined {
    return this.#child.exitCode === null ? undefined : `the node process exited with code ${this.#child.exitCode}`;
  }

  async #next(): Promise<unknown> {
    const line = await within(this.#lines.next(), 60_000);
    if (!line || line.done)
      throw new Error(`the registry node child ended or did not answer (${this.exited ?? "still running"})`);
    return JSON.parse(line.value) as unknown;
  }

  async sample(): Promise<Sample> {
    this.#child.stdin!.write("sample\n");
    return (await this.#next()) as Sample;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.stdin!.write("stop\n");
    await within(exited, 15_000);
    if (this.#child.exitCode === null) this.#child.kill();
  }
}

/** `p`'s value, or undefined after `ms` (the timer does not outlive the race). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const cpuPercent = (a: Sample, b: Sample) => round(((b.cpu_us - a.cpu_us) / ((b.t - a.t) * 1000)) * 100, 1);

export async function measureCpu(o: {
  url: string;
  nc: NatsConnection;
  writer: LogWriter;
  registry: KeyPair;
  seconds: number;
  warmupSeconds: number;
  idleSeconds: number;
}) {
  const mesh = "bench-registry-cpu";
  const population = new Population({ activeCount: 0, seed: 11 });
  const meshLog = new MeshLog({ mesh, registry: o.registry, population, activeCount: 0 });
  await meshLog.append(o.writer, { joinTo: AGENTS, traffic: 0, extras: 0 }, "cpu log");
  const { child, ready } = await ChildNode.start(o.url, mesh, o.registry);
  try {
    log(
      `registry: cpu: child node ${ready.pid} rebuilt ${ready.rebuild.events} events in ${ready.rebuild.ms} ms; ${AGENTS} agents beat every ${INTERVAL_S} s for ${o.warmupSeconds} + ${o.seconds} s`,
    );
    const kv = await new Kvm(jetstream(o.nc)).open(meshSubjects(mesh).heartbeatBucket);
    const secret = heartbeatSecret(o.registry.exportSeed(), mesh);
    const agents = population.agents.map((a) => ({ did: a.did, token: a.token, key: beatKeyFor(secret, a.did) }));
    const perSecond = AGENTS / INTERVAL_S;
    let failed = 0;
    const beating = paced((o.warmupSeconds + o.seconds) * perSecond, perSecond, (i) => {
      const a = agents[i % AGENTS]!;
      kv.put(a.token, JSON.stringify(makeBeat(a.key, a.did, 2 + Math.floor(i / AGENTS)))).catch(() => (failed += 1));
    });
    await sleep(o.warmupSeconds * 1000);
    const a = await child.sample();
    await beating;
    const b = await child.sample();
    // A working node answers these in well under a second; a short timeout keeps a failure from stalling the run.
    const client = new RegistryClient(o.nc, mesh, { timeoutMs: 3_000 });
    const status = await client.call<{ agents: { present: number; alive: number } }>("status", {});
    const c = await child.sample();
    await sleep(o.idleSeconds * 1000);
    const d = await child.sample();
    let listed: number | string;
    try {
      listed = (await client.agents()).result.filter((v) => v.liveness === "alive").length;
    } catch (err) {
      await sleep(200);
      listed = `agents() failed: ${(err as Error).message}${child.exited ? `; ${child.exited}` : ""}`;
    }
    return {
      agents: AGENTS,
      beats_per_s: round(((b.beats - a.beats) * 1000) / (b.t - a.t)),
      beat_publish_failures: failed,
      seconds: round((b.t - a.t) / 1000, 1),
      cpu_percent: cpuPercent(a, b),
      idle_cpu_percent: cpuPercent(c, d),
      rss_mb: Math.round(b.rss / (1024 * 1024)),
      alive_by_status: status.agents.alive,
      present_by_status: status.agents.present,
      alive_by_agents_query: listed,
      child_rebuild_ms: ready.rebuild.ms,
    };
  } finally {
    await child.stop();
  }
}
