/**
 * `npm run bench -- cluster`: Plexus on a 3-server JetStream cluster on loopback (@plexus/testing startTestCluster),
 * all in this one process:
 *   1. ACP messaging on an R3 mesh against an R1 mesh of the same cluster: alice sends N signed direct messages to bob
 *      (512 in flight), then bob consumes them (as the `acp` benchmark's mesh part); rounds alternate R1, R3, R1, R3
 *      and are pooled; `ratio_r3_vs_r1` = R3 msgs/s / R1 msgs/s;
 *   2. failover stall: alice sends continuously (64 in flight) on an R3 mesh while the server leading the mesh stream
 *      is SIGKILLed; the stall is the longest time between two acknowledgements from the kill on; the server is
 *      restarted and every replica is current again before the next of 5 kills; p50 and max;
 *   3. registry catch-up: a registry node follows an R3 mesh while alice sends at 200/s; the stream's leader is
 *      SIGKILLed, restarted 3 s later; the time from the restart until the node has applied the log to its end
 *      (capped at 30 s: null when the node had not caught up by then); 2 trials, each starting with every replica
 *      and the node current. Then the node is stopped, 5,000 more events are written, and a node started again (no
 *      snapshot): the time until it has replayed the whole log.
 * The last line on stdout is one JSON object.
 */
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { startRegistryNode, type RegistryNode } from "@plexus/registry";
import { Agent } from "@plexus/sdk";
import { startTestCluster, type TestCluster } from "@plexus/testing";
import {
  environment,
  log,
  now,
  paced,
  percentile,
  pipelined,
  rate,
  round,
  sleep,
  until,
  type BenchOptions,
  type BenchResult,
} from "./lib.js";

export const description =
  "3-server JetStream cluster: ACP messaging on R3 vs R1, send stall over 5 leader kills, registry catch-up after a restart";

const WINDOW = 512;
const WARMUP = 500;
/** Before the R1/R3 rounds, per pair: enough that the first measured round (R1's) does not run colder than the rest. */
const THROUGHPUT_WARMUP = 2_000;
const FAILOVER_WINDOW = 64;
const KILLS = 5;
const CATCH_UP_RATE = 200;
/** Down this long before the restart in the catch-up part. */
const DOWN_MS = 3_000;

function plan(quick: boolean) {
  return quick
    ? { n: 3_000, rounds: 1, kills: 1, catchUps: 1, catchUpCapMs: 15_000, replayEvents: 2_000 }
    : { n: 10_000, rounds: 2, kills: KILLS, catchUps: 2, catchUpCapMs: 30_000, replayEvents: 5_000 };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const p = plan(options.quick);
  const env = environment();
  const cluster = await startTestCluster({ servers: 3 });
  log(`cluster: 3 nats-servers ${cluster.servers[0]!.version} at ${cluster.url}${options.quick ? " (quick)" : ""}`);
  const admin = await connectBus({ servers: cluster.urls, name: "bench-cluster-admin" });
  try {
    const jsm = await jetstreamManager(admin);
    const throughput = await replicaThroughput(cluster, admin, p.n, p.rounds);
    const stalls = await failoverStalls(cluster, admin, jsm, p.kills);
    const catchUp = await registryCatchUp(cluster, admin, jsm, p.catchUpCapMs, p.replayEvents, p.catchUps);
    const sorted = [...stalls].sort((a, b) => a - b);
    return {
      bench: "cluster",
      r1_msgs_per_s: throughput.r1,
      r3_msgs_per_s: throughput.r3,
      ratio_r3_vs_r1: round(throughput.r3 / throughput.r1, 3),
      r1_send_per_s: throughput.r1Send,
      r3_send_per_s: throughput.r3Send,
      failover_stall_p50_ms: round(percentile(sorted, 50)),
      failover_stall_max_ms: round(sorted.at(-1) ?? Number.NaN),
      failover_stalls_ms: stalls.map((s) => round(s)),
      registry_catch_up_max_ms: catchUpMax(catchUp.afterServerRestartMs),
      registry_catch_ups_ms: catchUp.afterServerRestartMs,
      registry_catch_up_cap_ms: p.catchUpCapMs,
      registry_restart_replay_ms: round(catchUp.afterNodeRestartMs),
      registry_restart_replay_events: catchUp.replayed,
      n: p.n,
      rounds: p.rounds,
      quick: options.quick,
      node: env.node,
      nats_server: cluster.servers[0]!.version,
      cpu: env.cpu,
      cores: env.cores,
      platform: env.platform,
      date: new Date().toISOString(),
    };
  } finally {
    await admin.close();
    await cluster.cleanup();
    log("cluster: servers stopped");
  }
}

/** The longest catch-up; null when one did not happen within the cap. */
function catchUpMax(times: readonly (number | null)[]): number | null {
  return times.some((t) => t === null) ? null : Math.max(...(times as number[]));
}

async function agent(cluster: TestCluster, mesh: string, key: KeyPair = generateKeyPair()): Promise<Agent> {
  return Agent.connect({ key, nats: cluster.urls, mesh });
}

// ---- 1. R3 against R1 -----------------------------------------------------------------------------------------------

async function replicaThroughput(cluster: TestCluster, admin: NatsConnection, n: number, rounds: number) {
  const totals = { 1: { send: 0, all: 0, n: 0 }, 3: { send: 0, all: 0, n: 0 } };
  for (const replicas of [1, 3] as const) await ensureMeshStream(admin, `bench-r${replicas}`, { replicas });
  const pairs = new Map<number, [Agent, Agent]>();
  try {
    for (const replicas of [1, 3] as const) {
      const pair: [Agent, Agent] = [
        await agent(cluster, `bench-r${replicas}`),
        await agent(cluster, `bench-r${replicas}`),
      ];
      pairs.set(replicas, pair);
      await oneWay(pair[0], pair[1], THROUGHPUT_WARMUP);
    }
    for (let r = 0; r < rounds; r++) {
      for (const replicas of [1, 3] as const) {
        const [alice, bob] = pairs.get(replicas)!;
        const t = await oneWay(alice, bob, n);
        totals[replicas].send += t.sendMs;
        totals[replicas].all += t.sendMs + t.consumeMs;
        totals[replicas].n += n;
        log(
          `cluster: R${replicas} round ${r + 1}: send ${rate(n, t.sendMs)}/s, consume ${rate(n, t.consumeMs)}/s => ${rate(n, t.sendMs + t.consumeMs)} msgs/s`,
        );
      }
    }
  } finally {
    for (const pair of pairs.values()) await Promise.allSettled(pair.map((a) => a.close()));
  }
  return {
    r1: rate(totals[1].n, totals[1].all),
    r3: rate(totals[3].n, totals[3].all),
    r1Send: rate(totals[1].n, totals[1].send),
    r3Send: rate(totals[3].n, totals[3].send),
  };
}

/** alice sends n messages (WINDOW in flight), then bob consumes them; as the `acp` benchmark's mesh part. */
async function oneWay(alice: Agent, bob: Agent, n: number): Promise<{ sendMs: number; consumeMs: number }> {
  let last = "";
  const t0 = now();
  await pipelined(n, WINDOW, async (i) => {
    const sent = await alice.send(bob.did, { i: 10_000_000 + i });
    if (i === n - 1) last = sent.id;
  });
  const t1 = now();
  const sub = await bob.listen(() => undefined, { max: n });
  await sub.finished;
  const t2 = now();
  await alice.waitForReceipt(last, { status: "processed", timeoutMs: 30_000 });
  return { sendMs: t1 - t0, consumeMs: t2 - t1 };
}

// ---- 2. failover stall ----------------------------------------------------------------------------------------------

/** Sends until stopped, FAILOVER_WINDOW in flight, and keeps the time of every acknowledgement. */
function continuousSends(alice: Agent, to: string) {
  const acks: number[] = [];
  let stopped = false;
  let failed = 0;
  const worker = async () => {
    while (!stopped) {
      await alice.send(to, { t: Date.now() }).then(
        () => void acks.push(now()),
        () => void failed++,
      );
    }
  };
  const done = Promise.all(Array.from({ length: FAILOVER_WINDOW }, worker));
  return {
    acks,
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** The longest time without an acknowledgement from `from` on (the wait until the first one counts). */
function stallFrom(acks: readonly number[], from: number): number {
  let prev = from;
  let max = 0;
  for (const t of acks) {
    if (t < from) continue;
    max = Math.max(max, t - prev);
    prev = t;
  }
  return max;
}

/** Every replica of the stream current (a restarted server caught up), so the next kill keeps the quorum. */
async function replicasCurrent(jsm: JetStreamManager, stream: string): Promise<boolean> {
  const info = await jsm.streams.info(stream).catch(() => undefined);
  const replicas = info?.cluster?.replicas;
  return Boolean(info?.cluster?.leader) && (replicas ?? []).every((r) => r.current && !r.offline);
}

async function failoverStalls(
  cluster: TestCluster,
  admin: NatsConnection,
  jsm: JetStreamManager,
  kills: number,
): Promise<number[]> {
  const mesh = "bench-failover";
  const stream = await ensureMeshStream(admin, mesh, { replicas: 3 });
  const alice = await agent(cluster, mesh);
  const bob = await agent(cluster, mesh);
  const stalls: number[] = [];
  try {
    await oneWay(alice, bob, WARMUP);
    for (let k = 0; k < kills; k++) {
      const leader = await cluster.leaderOf(stream);
      const sends = continuousSends(alice, bob.did);
      await sleep(1_000);
      const killedAt = now();
      await cluster.servers[leader]!.kill();
      // Acknowledgements flowing again for a second after the kill's stall, then the server comes back.
      await until(() => (sends.acks.at(-1) ?? 0) > killedAt && now() - killedAt > 2_000, 60_000, "sends after a kill");
      await sleep(1_000);
      await cluster.servers[leader]!.restart();
      await sends.stop();
      const stall = stallFrom(sends.acks, killedAt);
      stalls.push(stall);
      log(
        `cluster: kill ${k + 1} of ${cluster.servers[leader]!.name} (the leader): sends stalled ${round(stall)} ms; ${sends.failed()} sends failed`,
      );
      await untilAsync(() => replicasCurrent(jsm, stream), 60_000, "the restarted server current");
    }
  } finally {
    await Promise.allSettled([alice.close(), bob.close()]);
  }
  return stalls;
}

async function untilAsync(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---- 3. registry catch-up -------------------------------------------------------------------------------------------

/** Mesh stream and heartbeat bucket R3 before the node starts (it creates what is missing with one replica). */
async function provisionR3(admin: NatsConnection, mesh: string): Promise<string> {
  const stream = await ensureMeshStream(admin, mesh, { replicas: 3 });
  await new Kvm(jetstream(admin)).create(meshSubjects(mesh).heartbeatBucket, { history: 1, replicas: 3 });
  return stream;
}

/** Resolves to when the node had applied what the log held a moment before (undefined: not within `capMs`). */
async function caughtUp(jsm: JetStreamManager, stream: string, node: RegistryNode, capMs: number) {
  const end = now() + capMs;
  while (now() < end) {
    const last = await jsm.streams
      .info(stream)
      .then((i) => i.state.last_seq)
      .catch(() => undefined);
    if (last !== undefined && node.status().seq >= last) return now();
    await sleep(50);
  }
  return undefined;
}

async function registryCatchUp(
  cluster: TestCluster,
  admin: NatsConnection,
  jsm: JetStreamManager,
  capMs: number,
  replayEvents: number,
  trials: number,
) {
  const mesh = "bench-catchup";
  const stream = await provisionR3(admin, mesh);
  const key = generateKeyPair();
  const start = () =>
    startRegistryNode({ nats: cluster.urls, mesh, key, http: false, refreshMs: 0, log: () => undefined });
  let node = await start();
  const alice = await agent(cluster, mesh);
  const bob = await agent(cluster, mesh);
  try {
    await oneWay(alice, bob, WARMUP);
    let sending = true;
    const sends = (async () => {
      while (sending)
        await paced(CATCH_UP_RATE, CATCH_UP_RATE, () => void alice.send(bob.did, { t: 1 }).catch(() => 0));
    })();
    // null: not current within the cap.
    const afterServerRestartMs: (number | null)[] = [];
    for (let trial = 0; trial < trials; trial++) {
      await sleep(1_000);
      // Each trial starts from a node that follows the log (a node still behind from the last trial would be timed twice).
      if ((await caughtUp(jsm, stream, node, capMs)) === undefined) log("cluster: the registry node is still behind");
      const leader = await cluster.leaderOf(stream);
      await cluster.servers[leader]!.kill();
      await sleep(DOWN_MS);
      await cluster.servers[leader]!.restart();
      const restartedAt = now();
      const at = await caughtUp(jsm, stream, node, capMs);
      afterServerRestartMs.push(at === undefined ? null : round(at - restartedAt));
      log(
        `cluster: registry node ${at === undefined ? `NOT current ${capMs} ms` : `current ${round(at - restartedAt)} ms`} after the restart of ${cluster.servers[leader]!.name} (the leader)`,
      );
      await untilAsync(() => replicasCurrent(jsm, stream), 60_000, "the restarted server current");
    }
    sending = false;
    await sends;

    await node.stop();
    await pipelined(replayEvents, WINDOW, () => alice.send(bob.did, { t: 2 }));
    const t0 = now();
    node = await start();
    const replayedAt = await caughtUp(jsm, stream, node, capMs);
    const afterNodeRestartMs = (replayedAt ?? Number.NaN) - t0;
    log(`cluster: a node started again replayed the log to its end in ${round(afterNodeRestartMs)} ms`);
    return { afterServerRestartMs, afterNodeRestartMs, replayed: node.status().rebuild.events };
  } finally {
    await Promise.allSettled([alice.close(), bob.close()]);
    await node.stop().catch(() => undefined);
  }
}
