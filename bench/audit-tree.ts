/**
 * `npm run bench -- audit-tree`: only the Merkle tree part of the audit benchmark (audit-proofs.ts) on a server of its
 * own: proofs of a 1M-event log (from tiles, and `proveInclusion` end to end), a sealer's start on a chain with many
 * checkpoints, the sealer with and without the tree.
 */
import { connectBus } from "@plexus/bus";
import { auditProofBench } from "./audit-proofs.js";
import { environment, log, startBenchServer, type BenchOptions, type BenchResult } from "./lib.js";

export const description =
  "audit Merkle tree only: inclusion proofs of a 1M-event log, sealer start with many checkpoints, sealer with/without the tree";

export async function run(options: BenchOptions): Promise<BenchResult> {
  const server = await startBenchServer();
  const nc = await connectBus({ servers: server.url });
  try {
    log(`audit-tree: nats-server ${server.version} at ${server.url}`);
    const n = options.quick ? 5_000 : 50_000;
    return {
      bench: "audit-tree",
      ...(await auditProofBench(nc, { quick: options.quick, n })),
      quick: options.quick,
      nats_server: server.version,
      ...environment(),
      date: new Date().toISOString(),
    };
  } finally {
    await nc.close().catch(() => undefined);
    await server.close();
  }
}
