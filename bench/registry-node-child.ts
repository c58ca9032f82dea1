/**
 * One registry node in a process of its own, for the CPU figure of `npm run bench -- registry`.
 * Run as `node --import tsx bench/registry-node-child.ts` with BENCH_NATS, BENCH_MESH and BENCH_REGISTRY_SEED (hex)
 * in the environment. Prints one JSON line when ready ({ready, pid, rebuild}); then answers each line on stdin:
 * "sample" with {t, cpu_us, beats, agents, rss} (t in ms, cpu_us = user + system µs since the process started), and
 * "stop" by stopping the node and exiting.
 */
import { createInterface } from "node:readline";
import { keyPairFromSeed } from "@plexus/identity";
import { startRegistryNode } from "@plexus/registry";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`registry-node-child: ${name} is not set`);
  return v;
}

const node = await startRegistryNode({
  nats: env("BENCH_NATS"),
  mesh: env("BENCH_MESH"),
  key: keyPairFromSeed(Buffer.from(env("BENCH_REGISTRY_SEED"), "hex")),
  http: false,
  log: (line) => process.stderr.write(`[child] ${line}\n`),
});
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
emit({ ready: true, pid: process.pid, rebuild: node.status().rebuild });

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "sample") {
    const { user, system } = process.cpuUsage();
    const status = node.status();
    emit({
      t: performance.now(),
      cpu_us: user + system,
      beats: status.counters.heartbeats ?? 0,
      agents: status.agents,
      rss: process.memoryUsage.rss(),
    });
  } else if (line === "stop") {
    break;
  }
}
await node.stop();
process.exit(0);
