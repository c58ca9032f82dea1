/**
 * `npm run bench -- audit`: the audit chain against the mesh it seals, in one run on one nats-server.
 *
 * 1. Mesh maximum: alice sends N signed direct messages as fast as the mesh stores them (512 in flight): the rate at
 *    which events enter the log, the baseline the sealer must beat by 2×.
 * 2. Sealer throughput: a sealer starts on that log from position 1 and seals all N. Two rates:
 *    - including start-up (the one `sealer_ratio` and the target use): N / the time from the startSealer call until
 *      caughtUp() resolved, so consumer creation, the first reads and a cold JIT all count;
 *    - steady state (`sealer_steady_*`, reported beside it): (N-1) / the time between the server's timestamps of the
 *      first and the last appended link, so start-up and the last ack's way back are left out. Taken from the chain
 *      stream after the run, nothing observes the sealer meanwhile. The reader works ahead of the appends (by at most
 *      two pipelines plus one read batch, about 3,000 events by default), and reading and hashing the events before
 *      the first link is stored falls outside the window, so this rate flatters a little; it is closer to what a
 *      sealer keeps up on a long backlog.
 * 3. Sealer lag at 1,000 msg/s: a sealer follows a second mesh live while alice sends at a fixed 1,000 msg/s; for each
 *    event, the time from its PubAck to the moment its link was appended (seen by a plain NATS subscriber on the chain
 *    subject). p50/p99/max.
 * 4. Verification: verifyStore recomputes the whole chain of (1) from the raw log and the links, and checks the
 *    checkpoints; events/s. Also an export to a JSON Lines file and `verify --file` speed on it. Each against a
 *    baseline measured right after it on the same data (audit-verify-baselines.ts): a plain read of the same log, a
 *    plain parse of the same file.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { exportStore, openJetStreamAuditStore, readExport, startSealer, verifyChain, verifyStore } from "@plexus/audit";
import { auditStreamNames } from "@plexus/audit/internal";
import { connectBus } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { Agent } from "@plexus/sdk";
import { auditProofBench } from "./audit-proofs.js";
import { parseFileBaseline, readLogBaseline } from "./audit-verify-baselines.js";
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
  wallNow,
  type BenchOptions,
  type BenchResult,
} from "./lib.js";

export const description =
  "audit chain: sealer throughput vs the mesh's max rate, sealer lag at 1,000 msg/s, verification speed";

const WINDOW = 512;
const LAG_RATE = 1_000;

export async function run(options: BenchOptions): Promise<BenchResult> {
  const n = options.quick ? 5_000 : 50_000;
  const lagSeconds = options.quick ? 2 : 5;
  const server = await startBenchServer();
  const nc = await connectBus({ servers: server.url, name: "bench-audit" });
  const registry = generateKeyPair();
  const tmp = await mkdtemp(join(tmpdir(), "plexus-bench-audit-"));
  const agents: Agent[] = [];
  try {
    log(
      `audit: nats-server ${server.version} at ${server.url}; n=${n}; lag run ${lagSeconds} s at ${LAG_RATE}/s${options.quick ? " (quick)" : ""}`,
    );
    // 1. The mesh's own maximum rate of stored events.
    const mesh = "bench-audit";
    const alice = await Agent.connect({ key: generateKeyPair(), nats: server.url, mesh });
    const bob = generateKeyPair();
    agents.push(alice);
    await alice.send(bob.did, { warmup: true });
    const t0 = now();
    await pipelined(n - 1, WINDOW, (i) => alice.send(bob.did, { i, note: "an event for the audit chain" }));
    const meshMs = now() - t0;
    const meshRate = rate(n - 1, meshMs);
    log(`audit: mesh stored ${n} events at ${meshRate}/s`);

    // 2. Sealer throughput from position 1 to the end.
    const store = await openJetStreamAuditStore({ nc, mesh });
    const t1 = now();
    const t1Wall = wallNow();
    const sealer = await startSealer({ nc, mesh, store, key: registry });
    await sealer.caughtUp();
    const sealMs = now() - t1;
    const sealed = sealer.stats().head.size;
    await sealer.stop();
    const sealRate = rate(sealed, sealMs);
    const steady = await steadyWindow(nc, mesh, sealed, t1Wall);
    const steadyRate = rate(sealed - 1, steady.ms);
    log(
      `audit: sealer sealed ${sealed} events at ${sealRate}/s including start-up (${round(sealRate / meshRate, 2)}× the mesh's rate; ` +
        `first link stored after ${round(steady.firstAfterMs, 1)} ms), ${steadyRate}/s steady state from the first to the last appended link ` +
        `(${round(steadyRate / meshRate, 2)}×)`,
    );

    // 4. Verification of that chain, live and from an export file.
    const t2 = now();
    const report = await verifyStore({ nc, mesh, store });
    const verifyMs = now() - t2;
    if (!report.ok) throw new Error(`verification failed at ${report.position}: ${report.kind}`);
    const verifyRate = rate(report.verified, verifyMs);
    const read = await readLogBaseline(nc, mesh, report.verified, now);
    const readRate = rate(read.events, read.ms);
    log(
      `audit: verified ${report.verified} events live at ${verifyRate}/s (target 100,000); baseline, same run: a plain read of the same log at ${readRate}/s (verification ${round(verifyRate / readRate, 2)}× it)`,
    );
    const file = join(tmp, "export.jsonl");
    await exportStore({ nc, mesh, store, out: createWriteStream(file) });
    const exportBytes = (await stat(file)).size;
    const t3 = now();
    const source = await readExport(file);
    const fileReport = await verifyChain(source);
    const fileMs = now() - t3;
    if (!fileReport.ok) throw new Error(`export verification failed at ${fileReport.position}: ${fileReport.kind}`);
    const fileRate = rate(fileReport.verified, fileMs);
    const parsed = await parseFileBaseline(file, now);
    const parseRate = rate(parsed.lines, parsed.ms);
    log(
      `audit: verified the ${Math.round(exportBytes / 1e6)} MB export at ${fileRate}/s (target 200,000); baseline, same run: a plain parse of the same file at ` +
        `${parseRate} lines/s (verification ${round(fileRate / parseRate, 2)}× it)`,
    );
    await store.close();

    // 3. Sealer lag while following live traffic at a fixed rate.
    const lag = await lagRun(server.url, nc, registry, lagSeconds, agents);
    log(
      `audit: sealer lag at ${LAG_RATE}/s: p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms over ${lag.samples} events`,
    );
    const tree = await auditProofBench(nc, { quick: options.quick, n }); // Merkle tree: proofs from tiles, sealer with/without

    return {
      bench: "audit",
      mesh_msgs_per_s: meshRate,
      sealer_events_per_s: sealRate,
      sealer_ratio: round(sealRate / meshRate, 2),
      sealer_steady_events_per_s: steadyRate,
      sealer_steady_ratio: round(steadyRate / meshRate, 2),
      sealer_first_link_ms: round(steady.firstAfterMs, 1),
      sealer_lag_p50_ms: lag.p50,
      sealer_lag_p99_ms: lag.p99,
      sealer_lag_max_ms: lag.max,
      verify_events_per_s: verifyRate,
      verify_baseline_read_per_s: readRate,
      verify_vs_read: round(verifyRate / readRate, 2),
      verify_file_events_per_s: fileRate,
      verify_file_baseline_parse_per_s: parseRate,
      verify_file_vs_parse: round(fileRate / parseRate, 2),
      export_bytes: exportBytes,
      ...tree,
      n,
      targets: { sealer_ratio: 2, verify_events_per_s: 100_000, verify_file_events_per_s: 200_000 },
      meets_targets: sealRate / meshRate >= 2 && verifyRate >= 100_000 && fileRate >= 200_000,
      quick: options.quick,
      nats_server: server.version,
      ...environment(),
      date: new Date().toISOString(),
    };
  } finally {
    await Promise.allSettled(agents.map((a) => a.close()));
    await nc.close().catch(() => undefined);
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * When the server stored the first and the last link of a chain of `size` links (its timestamps, in ms with the
 * nanoseconds kept), and how long after the sealer's start the first one was stored (server clock against this
 * process's: same machine).
 */
async function steadyWindow(
  nc: NatsConnection,
  mesh: string,
  size: number,
  startedAt: number,
): Promise<{ ms: number; firstAfterMs: number }> {
  const jsm = await jetstreamManager(nc);
  const stream = auditStreamNames(mesh).chainStream;
  const [first, last] = await Promise.all([
    jsm.streams.getMessage(stream, { seq: 1 }),
    jsm.streams.getMessage(stream, { seq: size }),
  ]);
  if (!first || !last) throw new Error(`the chain of ${mesh} lacks link 1 or ${size}`);
  return {
    ms: serverMs(last.timestamp) - serverMs(first.timestamp),
    firstAfterMs: serverMs(first.timestamp) - startedAt,
  };
}

/** An RFC 3339 server timestamp ("…T19:14:31.073123456Z") as ms since the epoch, keeping the fraction. */
function serverMs(timestamp: string): number {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!m) return Date.parse(timestamp);
  return Date.parse(`${m[1]}${m[3]}`) + Number(`0.${m[2] ?? "0"}`) * 1000;
}

async function lagRun(
  url: string,
  nc: Awaited<ReturnType<typeof connectBus>>,
  registry: ReturnType<typeof generateKeyPair>,
  seconds: number,
  agents: Agent[],
) {
  const mesh = "bench-audit-lag";
  const alice = await Agent.connect({ key: generateKeyPair(), nats: url, mesh });
  agents.push(alice);
  const bob = generateKeyPair();
  await alice.send(bob.did, { warmup: true });
  const store = await openJetStreamAuditStore({ nc, mesh });
  const sealer = await startSealer({ nc, mesh, store, key: registry });
  await sealer.caughtUp();
  const acked = new Map<number, number>();
  const sealedAt = new Map<number, number>();
  const sub = nc.subscribe(auditStreamNames(mesh).chainSubject, {
    callback: (_err, m) => {
      const link = JSON.parse(new TextDecoder().decode(m.data)) as { n: number };
      sealedAt.set(link.n, now());
    },
  });
  const sends: Promise<unknown>[] = [];
  await paced(seconds * LAG_RATE, LAG_RATE, () => {
    sends.push(alice.send(bob.did, { at: Date.now() }).then((r) => acked.set(r.streamSeq, now())));
  });
  await Promise.all(sends);
  await sealer.caughtUp();
  await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  await sealer.stop();
  await store.close();
  const lags: number[] = [];
  for (const [position, at] of acked) {
    const sealed = sealedAt.get(position);
    if (sealed !== undefined) lags.push(Math.max(0, sealed - at));
  }
  lags.sort((a, b) => a - b);
  if (lags.length < acked.size)
    log(`audit: WARNING: ${acked.size - lags.length} links were not seen by the chain subscriber`);
  return {
    p50: round(percentile(lags, 50), 2),
    p99: round(percentile(lags, 99), 2),
    max: round(lags.at(-1) ?? 0, 2),
    samples: lags.length,
  };
}
