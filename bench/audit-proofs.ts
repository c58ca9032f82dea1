/**
 * The audit's Merkle tree in `npm run bench -- audit` (called from audit.ts):
 *
 * 1. Inclusion proofs of random positions of a 1,000,000-event log, generated from stored tiles: the tree is built in
 *    this process with the sealer's TreeBuilder (synthetic events, not 1M real messages sealed: that would take
 *    minutes) and its tiles written to a real tile stream (PLEXUS_<MESH>_AUDIT_TILES) on the bench's nats-server;
 *    then the tree is dropped and each proof reads its tiles from JetStream (JetStreamTileStore, as `plexus audit
 *    prove` does) and builds the path and root. Baseline, measured in the same run: a proof without tiles, i.e.
 *    rebuilding the tree from the 1M leaf hashes (and that is before reading and hashing the 1M events, which a real
 *    replay adds).
 * 2. Sealer rate with the tree against without it (`merkleTree: false`), each sealing its own copy of the same N raw
 *    events from position 1 (alternated, twice each, best of two), and the rate at which the server stored those raw
 *    publishes (512 in flight; faster than the mesh's signed-message rate audit.ts measures).
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  checkProof,
  proveInclusion,
  readMeshLog,
  signCheckpoint,
  type Checkpoint,
  openJetStreamAuditStore,
  rootAt,
  startSealer,
  TreeBuilder,
  verifyInclusion,
  type TreeSnapshot,
} from "@plexus/audit";
import {
  eventLeafHash,
  JetStreamTileStore,
  MemoryTree,
  proveInclusionFromTiles,
  type TileReader,
} from "@plexus/audit/internal";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { loadavg } from "node:os";
import { log, now, percentile, pipelined, rate, round } from "./lib.js";

const LOG_SIZE = 1_000_000;
/** The sealer's default: a checkpoint per 1,000 links (a 1M log then has 1,000 of them). */
const CHECKPOINT_EVERY = 1_000;

export async function auditProofBench(
  nc: NatsConnection,
  options: { quick: boolean; n: number },
): Promise<Record<string, unknown>> {
  return {
    ...(await proofs(nc, options.quick)),
    ...(await sealerStart(nc, options.quick)),
    ...(await sealerWithTree(nc, options.n)),
  };
}

/** Leaf hash of synthetic event i (deterministic, so the baseline can make them again). */
function leafOf(mesh: string, i: number): Uint8Array {
  return eventLeafHash(subjectOf(mesh, i), Buffer.from(`{"i":${i},"note":"an event for the audit tree"}`));
}

async function proofs(nc: NatsConnection, quick: boolean): Promise<Record<string, unknown>> {
  const mesh = "bench-proofs";
  const size = quick ? 200_000 : LOG_SIZE;
  const builder = new TreeBuilder();
  const key = generateKeyPair();
  const origin = `plexus.mesh/${mesh}`;
  const checkpoints: Checkpoint[] = [];
  const t0 = now();
  for (let i = 0; i < size; i++) {
    builder.push(leafOf(mesh, i));
    // A checkpoint every CHECKPOINT_EVERY leaves, as a sealer signs them (the chain head is not what proofs check).
    if ((i + 1) % CHECKPOINT_EVERY === 0)
      checkpoints.push(
        signCheckpoint(key, { size: i + 1, head: "00".repeat(32), at: Date.now() }, { origin, root: builder.root() }),
      );
  }
  let snap: TreeSnapshot | undefined = builder.snapshot();
  const buildMs = now() - t0;
  const root = snap.root;
  log(
    `audit-proofs: built the tree of ${size.toLocaleString("en-US")} leaves in ${round(buildMs)} ms (${snap.full.length} full tiles)`,
  );

  await ensureMeshStream(nc, mesh);
  await openJetStreamAuditStore({ nc, mesh }); // creates the tile stream
  const tiles = new JetStreamTileStore(nc, await jetstreamManager(nc), mesh);
  const t1 = now();
  for (let i = 0; i < snap.full.length; i += 256)
    await tiles.writeTiles({ full: snap.full.slice(i, i + 256), partial: [] });
  await tiles.writeTiles({ full: [], partial: snap.partial });
  log(`audit-proofs: stored the tiles in ${round(now() - t1)} ms`);
  // From here on this process holds no tree: proofs read what they need, as `plexus audit prove` does.
  snap = undefined;

  const samples = quick ? 200 : 1_000;
  const positions = Array.from({ length: samples }, () => Math.floor(Math.random() * size));
  const measure = async (reader: TileReader): Promise<number[]> => {
    const ms: number[] = [];
    for (const index of positions) {
      const t = now();
      const p = await proveInclusionFromTiles(reader, index, size);
      ms.push(now() - t);
      if (!verifyInclusion(leafOf(mesh, index), index, size, p.path, root))
        throw new Error(`the proof of ${index} does not verify`);
    }
    return ms.sort((a, b) => a - b);
  };
  await measure(tiles); // warm-up (JIT, connection)
  const fromStream = await measure(new JetStreamTileStore(nc, await jetstreamManager(nc), mesh));
  const uncached = await measure(new JetStreamTileStore(nc, await jetstreamManager(nc), mesh, { cacheTiles: 0 }));
  // The CPU part alone: every tile the proofs need already held (a second pass over the same positions).
  const holdAll = new JetStreamTileStore(nc, await jetstreamManager(nc), mesh, {
    cacheTiles: 10_000,
    cacheLeafTiles: 10_000,
  });
  await measure(holdAll);
  const cpuOnly = await measure(holdAll);
  // Baseline: no tiles, the tree rebuilt from the 1M leaf hashes for one proof (reading and hashing the events not counted).
  const leaves = Array.from({ length: size }, (_, i) => leafOf(mesh, i));
  const t2 = now();
  const whole = new MemoryTree(leaves);
  const rebuilt = rootAt(whole, size);
  const baselineMs = now() - t2;
  if (Buffer.compare(rebuilt, root) !== 0) throw new Error("the rebuilt tree's root differs");
  // Then the log itself and its checkpoints (after the tile-only figures, which a server busy storing 1M events skews).
  const live = await liveLog(nc, mesh, size, checkpoints);
  const e2e = await endToEnd(nc, mesh, size, key.did, quick ? 200 : 1_000);
  const p50 = round(percentile(fromStream, 50), 3);
  const p99 = round(percentile(fromStream, 99), 3);
  const max = round(fromStream.at(-1)!, 3);
  log(
    `audit-proofs: inclusion proof of a random position in a log of ${size.toLocaleString("en-US")}, from tiles read from JetStream: p50 ${p50} ms, ` +
      `p99 ${p99} ms, max ${max} ms (${samples} proofs; without the tile cache p50 ${round(percentile(uncached, 50), 3)} ms, p99 ${round(percentile(uncached, 99), 3)} ms; tiles all held: p50 ${round(percentile(cpuOnly, 50), 3)} ms, p99 ${round(percentile(cpuOnly, 99), 3)} ms); ` +
      `baseline without tiles (rebuilding the tree from the leaf hashes) ${round(baselineMs)} ms`,
  );
  log(
    `audit-proofs: proveInclusion end to end (newest checkpoint of ${checkpoints.length} signed ones, event, tiles, check against the signed root): ` +
      `p50 ${e2e.p50} ms, p99 ${e2e.p99} ms, max ${e2e.max} ms (${e2e.samples} proofs; log published in ${live.publishMs} ms)`,
  );
  return {
    proof_log_size: size,
    proof_tiles_p50_ms: p50,
    proof_tiles_p99_ms: p99,
    proof_tiles_max_ms: max,
    proof_uncached_p50_ms: round(percentile(uncached, 50), 3),
    proof_uncached_p99_ms: round(percentile(uncached, 99), 3),
    proof_cpu_only_p50_ms: round(percentile(cpuOnly, 50), 3),
    proof_cpu_only_p99_ms: round(percentile(cpuOnly, 99), 3),
    proof_baseline_rebuild_ms: round(baselineMs),
    prove_e2e_p50_ms: e2e.p50,
    prove_e2e_p99_ms: e2e.p99,
    prove_e2e_max_ms: e2e.max,
    prove_e2e_checkpoints: checkpoints.length,
    proof_target_ms: 10,
    proof_meets_target: size === LOG_SIZE && p99 < 10,
    tree_build_1m_ms: round(buildMs),
    /** The machine's 1-minute load average after the proofs (2 cores shared: tails follow it). */
    proof_load_avg_1m: round(loadavg()[0]!, 2),
  };
}

/** Subject of synthetic event i (the same for the leaf and for the message in the mesh log). */
function subjectOf(mesh: string, i: number): string {
  return `plexus.${mesh}.acp.inbox.did:key:z6Mk${i % 97}`;
}

/** The synthetic events as real messages of the mesh log, and the signed checkpoints in the checkpoints stream. */
async function liveLog(
  nc: NatsConnection,
  mesh: string,
  size: number,
  checkpoints: Checkpoint[],
): Promise<{ publishMs: number }> {
  const js = jetstream(nc);
  const t = now();
  // Event i at position i + 1 (each publish says so: out of order would fail here, not later in a proof).
  await pipelined(size, 1_024, (i) =>
    js.publish(subjectOf(mesh, i), Buffer.from(`{"i":${i},"note":"an event for the audit tree"}`), {
      expect: { lastSequence: i },
    }),
  );
  const publishMs = round(now() - t);
  const store = await openJetStreamAuditStore({ nc, mesh });
  for (const cp of checkpoints) await js.publish(store.names.checkpointSubject, JSON.stringify(cp)); // in size order, as a sealer writes them
  await store.close();
  log(
    `audit-proofs: published the ${size.toLocaleString("en-US")} events in ${publishMs} ms and ${checkpoints.length} checkpoints`,
  );
  return { publishMs };
}

/**
 * `proveInclusion` as `plexus audit prove --signer` calls it, timed whole: finding the newest checkpoint, reading the
 * event, the tiles, building the path and checking it against the signed root. Each proof checked outside the timing.
 */
async function endToEnd(
  nc: NatsConnection,
  mesh: string,
  size: number,
  signer: string,
  samples: number,
): Promise<{ p50: number; p99: number; max: number; samples: number }> {
  const store = await openJetStreamAuditStore({ nc, mesh });
  const positions = Array.from({ length: samples }, () => 1 + Math.floor(Math.random() * size));
  const ms: number[] = [];
  for (const [k, position] of [...positions.slice(0, 20), ...positions].entries()) {
    const t = now();
    const proof = await proveInclusion({ nc, mesh, store, position, signers: [signer] });
    if (k >= 20) ms.push(now() - t); // the first 20: warm-up
    if (!checkProof(proof, { signers: [signer] }).ok) throw new Error(`the proof of ${position} does not check`);
  }
  await store.close();
  ms.sort((a, b) => a - b);
  return { p50: round(percentile(ms, 50), 3), p99: round(percentile(ms, 99), 3), max: round(ms.at(-1)!, 3), samples };
}

/**
 * A sealer's start on a log with many checkpoints: N events sealed, then a signed checkpoint every 4 positions (as a
 * long-lived mesh accumulates them), the sealer's own last one at the head; then `startSealer` is timed (it finds its
 * checkpoint at the head to believe the stored tiles) until `caughtUp()`.
 */
async function sealerStart(nc: NatsConnection, quick: boolean): Promise<Record<string, unknown>> {
  const mesh = "bench-start";
  const n = quick ? 4_000 : 20_000;
  const key = generateKeyPair();
  await ensureMeshStream(nc, mesh);
  const js = jetstream(nc);
  await pipelined(n, 512, (i) =>
    js.publish(`plexus.${mesh}.acp.topic.load.t${i % 3}`, `{"i":${i},"note":"an event for the audit chain"}`),
  );
  const store = await openJetStreamAuditStore({ nc, mesh });
  const first = await startSealer({ nc, mesh, store, key, checkpointEvery: 1e9, checkpointIntervalMs: 3_600_000 });
  await first.caughtUp();
  const tree = new MemoryTree();
  for await (const e of readMeshLog(nc, mesh, 1, n)) tree.push(eventLeafHash(e.subject, e.data));
  const links = new Map<number, string>();
  for await (const l of store.links(1, n)) links.set(l.n, l.hash);
  const cps: Checkpoint[] = [];
  for (let size = 4; size < n; size += 4)
    cps.push(
      signCheckpoint(
        key,
        { size, head: links.get(size)!, at: Date.now() },
        { origin: `plexus.mesh/${mesh}`, root: rootAt(tree, size) },
      ),
    );
  for (const cp of cps) await js.publish(store.names.checkpointSubject, JSON.stringify(cp));
  await first.stop(); // signs the head: the last checkpoint
  const ms: number[] = [];
  let resumed = "";
  for (let k = 0; k < 6; k++) {
    const t = now();
    const s = await startSealer({ nc, mesh, store, key, checkpointEvery: 1e9, checkpointIntervalMs: 3_600_000 });
    await s.caughtUp();
    if (k > 0) ms.push(now() - t); // the first: warm-up
    resumed = String((s.stats() as { head: { size: number } }).head.size);
    await s.stop();
  }
  await store.close();
  ms.sort((a, b) => a - b);
  const median = round(percentile(ms, 50), 1);
  log(
    `audit-proofs: sealer start on a chain of ${n} links with ${cps.length + 1} checkpoints: median ${median} ms, max ${round(ms.at(-1)!, 1)} ms (head ${resumed})`,
  );
  return {
    sealer_start_checkpoints: cps.length + 1,
    sealer_start_median_ms: median,
    sealer_start_max_ms: round(ms.at(-1)!, 1),
  };
}

async function sealerWithTree(nc: NatsConnection, n: number): Promise<Record<string, unknown>> {
  const key = generateKeyPair();
  const rates: Record<string, number> = {};
  let meshRate = 0;
  // Alternated, twice each, best of two: the first runs warm the JIT for the later ones.
  const runs = [
    ["without_tree", false],
    ["with_tree", true],
    ["without_tree", false],
    ["with_tree", true],
  ] as const;
  for (const [i, [label, merkleTree]] of runs.entries()) {
    const mesh = `bench-tree-${i}`;
    await ensureMeshStream(nc, mesh);
    const js = jetstream(nc);
    const t0 = now();
    for (let i = 0; i < n; i += 512) {
      await Promise.all(
        Array.from({ length: Math.min(512, n - i) }, (_, k) =>
          js.publish(
            `plexus.${mesh}.acp.topic.load.t${(i + k) % 3}`,
            `{"i":${i + k},"note":"an event for the audit chain"}`,
          ),
        ),
      );
    }
    meshRate = Math.max(meshRate, rate(n, now() - t0));
    const store = await openJetStreamAuditStore({ nc, mesh });
    const t1 = now();
    const sealer = await startSealer({ nc, mesh, store, key, merkleTree });
    await sealer.caughtUp();
    rates[label] = Math.max(rates[label] ?? 0, rate(n, now() - t1));
    await sealer.stop();
    await store.close();
  }
  log(
    `audit-proofs: sealer ${rates["with_tree"]}/s with the Merkle tree, ${rates["without_tree"]}/s without ` +
      `(${round(rates["with_tree"]! / rates["without_tree"]!, 2)}×); raw publishes stored at ${meshRate}/s`,
  );
  return {
    sealer_tree_events_per_s: rates["with_tree"],
    sealer_no_tree_events_per_s: rates["without_tree"],
    sealer_tree_cost_ratio: round(rates["with_tree"]! / rates["without_tree"]!, 2),
    raw_publish_events_per_s: meshRate,
  };
}
