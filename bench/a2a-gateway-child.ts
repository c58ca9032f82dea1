/**
 * The gateway side of the a2a benchmark, in a process of its own, as `plexus up` runs it: a registry node (no HTTP;
 * the gateway asks it which agents are exposed) and the A2A gateway (startGateway) on 127.0.0.1 and a free port,
 * on BENCH_NATS / BENCH_MESH. Prints {ready, url, did, pid}; "cpu" answers {cpu_us}; "stop" stops both and exits.
 */
import { generateKeyPair } from "@plexus/identity";
import { startRegistryNode } from "@plexus/registry";
import { startGateway } from "@plexus/a2a";
import { childEnv, serveCommands } from "./a2a-child.js";

const nats = childEnv("BENCH_NATS");
const mesh = childEnv("BENCH_MESH");
const registry = await startRegistryNode({ nats, mesh, key: generateKeyPair(), http: false });
const gateway = await startGateway({
  nats,
  mesh,
  key: generateKeyPair(),
  http: { host: "127.0.0.1", port: 0 },
  onError: (err) => process.stderr.write(`gateway error: ${String(err)}\n`),
});

await serveCommands(
  { ready: true, url: gateway.url, did: gateway.did, pid: process.pid },
  async (command) => {
    if (command === "cpu") {
      const { user, system } = process.cpuUsage();
      return { cpu_us: user + system };
    }
    throw new Error(`unknown command "${command}"`);
  },
  async () => {
    await gateway.stop();
    await registry.stop();
  },
);
