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
  eventLeafHash,
  JetStreamTileStore,
  MemoryTree,
  openJetStreamAuditStore,
  proveInclusionFromTiles,
  rootAt,
  startSealer,
  TreeBuilder,
  verifyInclusion,
  type TileReader,
  type TreeSnapshot,
} from "@plexus/audit";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { loadavg } from "node:os";
import { log, now, percentile, rate, round } from "./lib.js";

const LOG_SIZE = 1_000_000;

export async function auditProofBench(nc: NatsConnection, options: { quick: boolean; n: number }): Promise<Record<string, unknown>> {
  return { ...(await proofs(nc, options.quick)), ...(await sealerWithTree(nc, options.n)) };
}

/** Leaf hash of synthetic event i (deterministic, so the baseline can make them again). */
function leafOf(mesh: string, i: number): Uint8Array {
  return eventLeafHash(`plexus.${mesh}.acp.inbox.did:key:z6Mk${i % 97}`, Buffer.from(`{"i":${i},"note":"an event for the audit tree"}`));
}

async function proofs(nc: NatsConnection, quick: boolean): Promise<Record<string, unknown>> {
  const mesh = "bench-proofs";
  const size = quick ? 200_000 : LOG_SIZE;
  const builder = new TreeBuilder();
  const t0 = now();
  for (let i = 0; i < size; i++) builder.push(leafOf(mesh, i));
  let snap: TreeSnapshot | undefined = builder.snapshot();
  const buildMs = now() - t0;
  const root = snap.root;
  log(`audit-proofs: built the tree of ${size.toLocaleString("en-US")} leaves in ${round(buildMs)} ms (${snap.full.length} full tiles)`);

  await ensureMeshStream(nc, mesh);
  await openJetStreamAuditStore({ nc, mesh }); // creates the tile stream
  const tiles = new JetStreamTileStore(nc, await jetstreamManager(nc), mesh);
  const t1 = now();
  for (let i = 0; i < snap.full.length; i += 256) await tiles.writeTiles({ full: snap.full.slice(i, i + 256), partial: [] });
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
      if (!verifyInclusion(leafOf(mesh, index), index, size, p.path, root)) throw new Error(`the proof of ${index} does not verify`);
    }
    return ms.sort((a, b) => a - b);
  };
  await measure(tiles); // warm-up (JIT, connection)
  const fromStream = await measure(new JetStreamTileStore(nc, await jetstreamManager(nc), mesh));
  const uncached = await measure(new JetStreamTileStore(nc, await jetstreamManager(nc), mesh, { cacheTiles: 0 }));
  // The CPU part alone: every tile the proofs need already held (a second pass over the same positions).
  const holdAll = new JetStreamTileStore(nc, await jetstreamManager(nc), mesh, { cacheTiles: 10_000 });
  await measure(holdAll);
  const cpuOnly = await measure(holdAll);
  // Baseline: no tiles, the tree rebuilt from the 1M leaf hashes for one proof (reading and hashing the events not counted).
  const leaves = Array.from({ length: size }, (_, i) => leafOf(mesh, i));
  const t2 = now();
  const whole = new MemoryTree(leaves);
  const rebuilt = rootAt(whole, size);
  const baselineMs = now() - t2;
  if (Buffer.compare(rebuilt, root) !== 0) throw new Error("the rebuilt tree's root differs");
  const p50 = round(percentile(fromStream, 50), 3);
  const p99 = round(percentile(fromStream, 99), 3);
  const max = round(fromStream.at(-1)!, 3);
  log(
    `audit-proofs: inclusion proof of a random position in a log of ${size.toLocaleString("en-US")}, from tiles read from JetStream: p50 ${p50} ms, ` +
      `p99 ${p99} ms, max ${max} ms (${samples} proofs; without the tile cache p50 ${round(percentile(uncached, 50), 3)} ms, p99 ${round(percentile(uncached, 99), 3)} ms; tiles all held: p50 ${round(percentile(cpuOnly, 50), 3)} ms, p99 ${round(percentile(cpuOnly, 99), 3)} ms); ` +
      `baseline without tiles (rebuilding the tree from the leaf hashes) ${round(baselineMs)} ms`,
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
    proof_target_ms: 10,
    proof_meets_target: size === LOG_SIZE && p99 < 10,
    tree_build_1m_ms: round(buildMs),
    /** The machine's 1-minute load average after the proofs (2 cores shared: tails follow it). */
    proof_load_avg_1m: round(loadavg()[0]!, 2),
  };
}

async function sealerWithTree(nc: NatsConnection, n: number): Promise<Record<string, unknown>> {
  const key = generateKeyPair();
  const rates: Record<string, number> = {};
  let meshRate = 0;
  // Alternated, twice each, best of two: the first runs warm the JIT for the later ones.
  const runs = [["without_tree", false], ["with_tree", true], ["without_tree", false], ["with_tree", true]] as const;
  for (const [i, [label, merkleTree]] of runs.entries()) {
    const mesh = `bench-tree-${i}`;
    await ensureMeshStream(nc, mesh);
    const js = jetstream(nc);
    const t0 = now();
    for (let i = 0; i < n; i += 512) {
      await Promise.all(Array.from({ length: Math.min(512, n - i) }, (_, k) => js.publish(`plexus.${mesh}.acp.topic.load.t${(i + k) % 3}`, `{"i":${i + k},"note":"an event for the audit chain"}`)));
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
