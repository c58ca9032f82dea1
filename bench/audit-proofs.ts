/**
 * The audit's Merkle tree in `npm run bench -- audit` (called from audit.ts):
 *
 * 1. Inclusion proofs of random positions of a 1,000,000-event log, generated from stored tiles: the tree is built in
 *    this process with the sealer's TreeBuilder (synthetic events, not 1M real messages sealed: that would take
 *    minutes) and its tiles written to a real tile stream (PLEXUS_<MESH>_AUDIT_TILES) on the bench's nats-server;
 *    each proof then reads its tiles from JetStream (JetStreamTileStore, as `plexus audit prove` does) and builds the
 *    path and root. Also the same proofs from tiles held in memory (no I/O). Baseline, measured in the same run: a
 *    proof without tiles, i.e. rebuilding the tree from the 1M leaf hashes (and that is before reading and hashing
 *    the 1M events, which a real replay adds).
 * 2. Sealer rate with the tree against without it (`merkleTree: false`), each sealing its own copy of the same N raw
 *    events from position 1, and the mesh's own rate for the same events (raw JetStream publishes, 512 in flight).
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
  type Tile,
  type TileReader,
} from "@plexus/audit";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { log, now, percentile, rate, round } from "./lib.js";

const LOG_SIZE = 1_000_000;

export async function auditProofBench(nc: NatsConnection, options: { quick: boolean; n: number }): Promise<Record<string, unknown>> {
  return { ...(await proofs(nc, options.quick)), ...(await sealerWithTree(nc, options.n)) };
}

async function proofs(nc: NatsConnection, quick: boolean): Promise<Record<string, unknown>> {
  const mesh = "bench-proofs";
  const size = quick ? 200_000 : LOG_SIZE;
  const leaves: Uint8Array[] = new Array(size);
  const builder = new TreeBuilder();
  const full = new Map<string, Uint8Array[]>();
  const t0 = now();
  for (let i = 0; i < size; i++) {
    leaves[i] = eventLeafHash(`plexus.${mesh}.acp.inbox.did:key:z6Mk${i % 97}`, Buffer.from(`{"i":${i},"note":"an event for the audit tree"}`));
    builder.push(leaves[i]!);
  }
  const snap = builder.snapshot();
  const buildMs = now() - t0;
  for (const t of snap.full) full.set(`${t.level}/${t.index}`, t.hashes);
  log(`audit-proofs: built the tree of ${size.toLocaleString("en-US")} leaves in ${round(buildMs)} ms (${snap.full.length} full tiles)`);

  await ensureMeshStream(nc, mesh);
  await openJetStreamAuditStore({ nc, mesh }); // creates the tile stream
  const tiles = new JetStreamTileStore(nc, await jetstreamManager(nc), mesh);
  const t1 = now();
  for (let i = 0; i < snap.full.length; i += 256) await tiles.writeTiles({ full: snap.full.slice(i, i + 256), partial: [] });
  await tiles.writeTiles({ full: [], partial: snap.partial });
  log(`audit-proofs: stored the tiles in ${round(now() - t1)} ms`);

  const memory: TileReader = {
    async readTile(level, index, width) {
      const hashes = full.get(`${level}/${index}`) ?? snap.partial.find((t: Tile) => t.level === level && t.index === index)?.hashes;
      if (!hashes || hashes.length < width) throw new Error(`no tile ${level}/${index}`);
      return hashes;
    },
  };
  const samples = quick ? 200 : 1_000;
  const positions = Array.from({ length: samples }, () => Math.floor(Math.random() * size));
  const measure = async (reader: TileReader): Promise<number[]> => {
    const ms: number[] = [];
    for (const index of positions) {
      const t = now();
      const p = await proveInclusionFromTiles(reader, index, size);
      ms.push(now() - t);
      if (!verifyInclusion(leaves[index]!, index, size, p.path, snap.root)) throw new Error(`the proof of ${index} does not verify`);
    }
    return ms.sort((a, b) => a - b);
  };
  await measure(memory); // warm-up
  const fromMemory = await measure(memory);
  const fromStream = await measure(tiles);
  // Baseline: no tiles, the tree rebuilt from the leaf hashes for one proof.
  const t2 = now();
  const whole = new MemoryTree(leaves);
  if (Buffer.compare(rootAt(whole, size), snap.root) !== 0) throw new Error("the rebuilt tree's root differs");
  const baselineMs = now() - t2;
  const p50 = round(percentile(fromStream, 50), 3);
  const p99 = round(percentile(fromStream, 99), 3);
  log(
    `audit-proofs: inclusion proof in a log of ${size.toLocaleString("en-US")}: from JetStream tiles p50 ${p50} ms, p99 ${p99} ms, max ${round(fromStream.at(-1)!, 3)} ms; ` +
      `from tiles in memory p50 ${round(percentile(fromMemory, 50), 3)} ms; baseline without tiles (rebuild from leaf hashes) ${round(baselineMs)} ms`,
  );
  return {
    proof_log_size: size,
    proof_tiles_p50_ms: p50,
    proof_tiles_p99_ms: p99,
    proof_tiles_max_ms: round(fromStream.at(-1)!, 3),
    proof_memory_p50_ms: round(percentile(fromMemory, 50), 3),
    proof_baseline_rebuild_ms: round(baselineMs),
    proof_target_ms: 10,
    proof_meets_target: size === LOG_SIZE && percentile(fromStream, 100) < 10,
    tree_build_1m_ms: round(buildMs),
  };
}

async function sealerWithTree(nc: NatsConnection, n: number): Promise<Record<string, unknown>> {
  const key = generateKeyPair();
  const rates: Record<string, number> = {};
  let meshRate = 0;
  for (const [label, merkleTree] of [["with_tree", true], ["without_tree", false]] as const) {
    const mesh = `bench-tree-${label.replace("_", "-")}`;
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
    rates[label] = rate(n, now() - t1);
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
