/**
 * ACP direct messaging against plain JetStream, on one fresh nats-server:
 *   1. raw baseline: pipelined JetStream publishes (with PubAck) of an envelope-sized payload into a stream of its
 *      own, then a durable pull consumer with explicit acks takes them all;
 *   2. mesh: alice sends N signed direct messages to bob (same window of concurrent sends), then bob's `listen`
 *      consumes them (parse, schema, signature, replay guard, ack, receipts every 10 ms); plus how long until alice
 *      holds the `processed` receipt of the last one;
 *   3. latency: bob listens live while alice sends at a fixed rate; send-to-handler latency percentiles.
 * Throughput is "publish everything, then consume everything": msgs/s = N / (publish time + consume time).
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus } from "@plexus/bus";
import { Agent, generateKeyPair, type Delivery } from "@plexus/sdk";
import {
  environment,
  log,
  now,
  paced,
  percentile,
  pipelined,
  rate,
  round,
  startBenchServer,
  until,
  wallNow,
  type BenchOptions,
  type BenchResult,
} from "./lib.js";

export const description =
  "ACP direct messages (sign, store, verify, ack, receipts) vs plain JetStream publish+consume; send-to-handler latency at a fixed rate";

/** Concurrent publishes/sends in flight during the throughput runs. */
const WINDOW = 512;
/** Messages pushed through each path first (not measured), so both run JIT-compiled and with consumers in place. */
const WARMUP = 500;
/** Pull batch: what the SDK's Subscription asks for. */
const PULL_BATCH = 256;
const LATENCY_RATE = 1_000;
const MESH = "bench";
const RAW_STREAM = "BENCH_RAW";
const RAW_SUBJECT = "bench.raw.msg";
const RAW_DURABLE = "bench_raw";

/** A pause this long between two consumed messages is a stall (a lost pull or a redelivery), not load. */
const STALL_MS = 1_000;

export const TARGETS = { ratio: 0.3, p99_ms: 10 } as const;

interface Phase {
  publishMs: number;
  consumeMs: number;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const n = options.quick ? 5_000 : 20_000;
  const latencySeconds = options.quick ? 2 : 5;
  const env = environment();
  const server = await startBenchServer();
  log(
    `acp: nats-server ${server.version} at ${server.url}; n=${n}, window=${WINDOW}, latency ${latencySeconds} s at ${LATENCY_RATE}/s${options.quick ? " (quick)" : ""}`,
  );
  const connections: NatsConnection[] = [];
  const agents: Agent[] = [];
  try {
    // Mesh agents first: the warm-up tells how large an envelope is, which sizes the raw payload.
    const alice = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh: MESH });
    agents.push(alice);
    const bob = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh: MESH });
    agents.push(bob);
    const envelopeBytes = await meshWarmup(alice, bob);
    log(`acp: a mesh envelope carrying the benchmark body is ${envelopeBytes} bytes`);

    // The baseline uses the very connection settings the mesh uses (connectBus), so only the mesh's work differs.
    const pubNc = await connectBus({ servers: server.url, name: "bench-raw-pub" });
    connections.push(pubNc);
    const subNc = await connectBus({ servers: server.url, name: "bench-raw-sub" });
    connections.push(subNc);
    const raw = await rawRun(pubNc, subNc, n, envelopeBytes);
    const rawMsgs = rate(n, raw.publishMs + raw.consumeMs);
    log(
      `acp: raw   publish ${rate(n, raw.publishMs)}/s, consume ${rate(n, raw.consumeMs)}/s => ${rawMsgs} msgs/s end to end`,
    );

    const mesh = await meshRun(alice, bob, n);
    const meshMsgs = rate(n, mesh.publishMs + mesh.consumeMs);
    log(
      `acp: mesh  send ${rate(n, mesh.publishMs)}/s, consume ${rate(n, mesh.consumeMs)}/s => ${meshMsgs} msgs/s end to end; last receipt ${round(mesh.receiptLagMs, 1)} ms after consumption`,
    );

    if (raw.redelivered + mesh.redelivered > 0 || Math.max(raw.maxGapMs, mesh.maxGapMs) > STALL_MS) {
      log(
        `acp: WARNING: a consumer stalled (longest pause between messages: raw ${round(raw.maxGapMs)} ms, mesh ${round(mesh.maxGapMs)} ms; ` +
          `redelivered: raw ${raw.redelivered}, mesh ${mesh.redelivered}); the throughput figures include that stall`,
      );
    }

    const latency = await latencyRun(alice, bob, latencySeconds * LATENCY_RATE);
    log(
      `acp: latency p50 ${round(latency.p50, 2)} ms, p99 ${round(latency.p99, 2)} ms, max ${round(latency.max, 2)} ms over ${latency.count} messages`,
    );

    const ratio = meshMsgs / rawMsgs;
    const bobStats = bob.stats() as unknown as Record<string, unknown>;
    return {
      bench: "acp",
      raw_msgs_per_s: rawMsgs,
      mesh_msgs_per_s: meshMsgs,
      ratio: round(ratio, 3),
      p50_ms: round(latency.p50, 2),
      p99_ms: round(latency.p99, 2),
      max_ms: round(latency.max, 2),
      raw_publish_per_s: rate(n, raw.publishMs),
      raw_consume_per_s: rate(n, raw.consumeMs),
      mesh_send_per_s: rate(n, mesh.publishMs),
      mesh_consume_per_s: rate(n, mesh.consumeMs),
      receipt_lag_ms: round(mesh.receiptLagMs, 1),
      raw_redelivered: raw.redelivered,
      mesh_redelivered: mesh.redelivered,
      raw_consume_max_gap_ms: round(raw.maxGapMs, 1),
      mesh_consume_max_gap_ms: round(mesh.maxGapMs, 1),
      send_ack_p50_ms: round(latency.ackP50, 2),
      send_ack_p99_ms: round(latency.ackP99, 2),
      latency_msgs: latency.count,
      latency_rate_per_s: LATENCY_RATE,
      envelope_bytes: envelopeBytes,
      n,
      window: WINDOW,
      quick: options.quick,
      targets: TARGETS,
      meets_targets: ratio >= TARGETS.ratio && latency.p99 < TARGETS.p99_ms,
      reader_stats: bobStats,
      node: env.node,
      nats_server: server.version,
      cpu: env.cpu,
      cores: env.cores,
      platform: env.platform,
      date: new Date().toISOString(),
    };
  } finally {
    await Promise.allSettled(agents.map((a) => a.close()));
    await Promise.allSettled(connections.map((c) => c.close()));
    await server.close();
    log("acp: server stopped");
  }
}

// ---- raw JetStream baseline ---------------------------------------------------------------------------------------

async function rawRun(
  pubNc: NatsConnection,
  subNc: NatsConnection,
  n: number,
  payloadBytes: number,
): Promise<Phase & { redelivered: number; maxGapMs: number }> {
  const jsm = await jetstreamManager(pubNc);
  // The mesh stream's storage settings, without anything Plexus-specific.
  await jsm.streams.add({
    name: RAW_STREAM,
    subjects: [`${RAW_SUBJECT}.*`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: 1,
  });
  const js = jetstream(pubNc);
  const jsSub = jetstream(subNc);
  const payload = new Uint8Array(payloadBytes).fill(0x78);

  // Warm-up on a subject and consumer of its own, so no pull request left over from it can touch the measured run.
  await pipelined(WARMUP, WINDOW, () => js.publish(`${RAW_SUBJECT}.warm`, payload));
  await rawConsume(jsm, jsSub, "warm", WARMUP);

  const t0 = now();
  await pipelined(n, WINDOW, () => js.publish(`${RAW_SUBJECT}.main`, payload));
  const t1 = now();
  const { redelivered, maxGapMs } = await rawConsume(jsm, jsSub, "main", n);
  const t2 = now();
  return { publishMs: t1 - t0, consumeMs: t2 - t1, redelivered, maxGapMs };
}

/** Creates a durable pull consumer (explicit acks, the inbox's settings) on one subject and acks `count` messages. */
async function rawConsume(
  jsm: JetStreamManager,
  js: JetStreamClient,
  token: string,
  count: number,
): Promise<{ redelivered: number; maxGapMs: number }> {
  const name = `${RAW_DURABLE}_${token}`;
  await jsm.consumers.add(RAW_STREAM, {
    durable_name: name,
    filter_subject: `${RAW_SUBJECT}.${token}`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 4_096,
    ack_wait: 30_000 * 1_000_000,
    max_deliver: -1,
  });
  const consumer = await js.consumers.get(RAW_STREAM, name);
  const messages = await consumer.consume({ max_messages: Math.min(PULL_BATCH, count) });
  let got = 0;
  let redelivered = 0;
  const gap = gapMeter();
  for await (const m of messages) {
    gap.tick();
    if (m.redelivered) redelivered++;
    m.ack();
    if (++got >= count) messages.stop();
  }
  if (got < count) throw new Error(`raw consumer stopped after ${got} of ${count} messages`);
  return { redelivered, maxGapMs: gap.max() };
}

// ---- mesh ---------------------------------------------------------------------------------------------------------

/** Warms both agents up (receipt tap, channel head, inbox consumer, JIT) and returns the stored envelope size. */
async function meshWarmup(alice: Agent, bob: Agent): Promise<number> {
  let lastId = "";
  await pipelined(WARMUP, WINDOW, async (i) => {
    const sent = await alice.send(bob.did, { i: 10_000_000 + i });
    if (i === WARMUP - 1) lastId = sent.id;
  });
  let size = 0;
  const sub = await bob.listen(
    (d: Delivery) => {
      size = Math.max(size, Buffer.byteLength(JSON.stringify(d.envelope)));
    },
    { max: WARMUP },
  );
  await sub.finished;
  await alice.waitForReceipt(lastId, { status: "processed", timeoutMs: 30_000 });
  return size;
}

async function meshRun(
  alice: Agent,
  bob: Agent,
  n: number,
): Promise<Phase & { receiptLagMs: number; redelivered: number; maxGapMs: number }> {
  let lastId = "";
  const redeliveredBefore = bob.stats().redelivered;
  const t0 = now();
  // Bodies of a fixed width (8 digits), so every envelope is the size the raw payload was given.
  await pipelined(n, WINDOW, async (i) => {
    const sent = await alice.send(bob.did, { i: 10_000_000 + i });
    if (i === n - 1) lastId = sent.id;
  });
  const t1 = now();
  let got = 0;
  const gap = gapMeter();
  const sub = await bob.listen(
    () => {
      gap.tick();
      got++;
    },
    { max: n },
  );
  await sub.finished;
  const t2 = now();
  if (got !== n) throw new Error(`bob handled ${got} of ${n} messages`);
  await alice.waitForReceipt(lastId, { status: "processed", timeoutMs: 30_000 });
  const t3 = now();
  return {
    publishMs: t1 - t0,
    consumeMs: t2 - t1,
    receiptLagMs: t3 - t2,
    redelivered: bob.stats().redelivered - redeliveredBefore,
    maxGapMs: gap.max(),
  };
}

/** The longest pause between consecutive tick() calls (from the first tick on). */
function gapMeter(): { tick(): void; max(): number } {
  let last: number | undefined;
  let max = 0;
  return {
    tick() {
      const t = now();
      if (last !== undefined && t - last > max) max = t - last;
      last = t;
    },
    max: () => max,
  };
}

interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
  ackP50: number;
  ackP99: number;
}

async function latencyRun(alice: Agent, bob: Agent, count: number): Promise<Latency> {
  const latencies: number[] = [];
  const acks: number[] = [];
  const sub = await bob.listen((d: Delivery) => {
    const sentAt = (d.body as { t: number }).t;
    latencies.push(wallNow() - sentAt);
  });
  try {
    const sends: Promise<unknown>[] = [];
    let failed = 0;
    await paced(count, LATENCY_RATE, (i) => {
      const t = wallNow();
      sends.push(
        alice.send(bob.did, { i: 10_000_000 + i, t }).then(
          () => void acks.push(wallNow() - t),
          () => void failed++,
        ),
      );
    });
    await Promise.all(sends);
    if (failed > 0) throw new Error(`${failed} of ${count} latency sends failed`);
    await until(() => latencies.length >= count, 30_000, `bob to handle ${count} latency messages`);
  } finally {
    await sub.stop();
  }
  const sorted = latencies.sort((a, b) => a - b);
  const ackSorted = acks.sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    ackP50: percentile(ackSorted, 50),
    ackP99: percentile(ackSorted, 99),
  };
}
