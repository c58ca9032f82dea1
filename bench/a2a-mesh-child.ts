/**
 * The answering mesh agent of the a2a benchmark, in a process of its own. It connects (BENCH_NATS, BENCH_MESH),
 * joins with a card that opts in to A2A when BENCH_JOIN is "1" (the gateway serves it then), and listens:
 *   - "a2a.message" (from the gateway): replies { kind: "message", text: "echo: <text>" }, so a blocking A2A caller
 *     gets a plain A2A Message, as from the direct baseline's executor;
 *   - "bench.request": replies "echo: <text>" (the ACP request/reply path);
 *   - "bench.oneway": counts it per phase and keeps its send-to-handler time (body.t is the sender's wall clock).
 * Prints {ready, did, pid}; commands: "await <phase> <n>" answers once n one-way messages of that phase were handled
 * ({count, p50_ms, p99_ms, max_ms}); "cpu" answers {cpu_us}; "stop" closes the agent and exits.
 */
import { generateKeyPair } from "@plexus/identity";
import { Agent, type AgentCard, type Delivery } from "@plexus/sdk";
import { childEnv, serveCommands } from "./a2a-child.js";
import { percentile, round, wallNow } from "./lib.js";

const card: AgentCard = {
  name: "bench-echo",
  description: "Says back what it is told (npm run bench -- a2a)",
  version: "1.0.0",
  capabilities: [
    { name: "echo", description: "Says back what it is told", input: { type: "string" }, output: { type: "string" } },
  ],
  a2a: { expose: true },
};

const agent = await Agent.connect({
  key: generateKeyPair(),
  nats: childEnv("BENCH_NATS"),
  mesh: childEnv("BENCH_MESH"),
  onError: (err) => process.stderr.write(`agent error: ${String(err)}\n`),
});
if (process.env.BENCH_JOIN === "1") await agent.join(card);

/** One-way send-to-handler times per phase, and who waits for a count. */
const phases = new Map<string, number[]>();
const waiters = new Map<string, { n: number; resolve: () => void }>();

function oneway(d: Delivery): void {
  const { phase, t } = d.body as { phase: string; t: number };
  let list = phases.get(phase);
  if (!list) phases.set(phase, (list = []));
  list.push(wallNow() - t);
  const w = waiters.get(phase);
  if (w && list.length >= w.n) {
    waiters.delete(phase);
    w.resolve();
  }
}

async function handle(d: Delivery): Promise<void> {
  switch (d.type) {
    case "a2a.message":
      await agent.reply(d, { kind: "message", text: `echo: ${(d.body as { text: string }).text}` });
      return;
    case "bench.request":
      await agent.reply(d, `echo: ${(d.body as { text: string }).text}`);
      return;
    case "bench.oneway":
      oneway(d);
      return;
    default:
      return;
  }
}

await agent.listen(handle);

async function awaitPhase(phase: string, n: number) {
  const have = phases.get(phase)?.length ?? 0;
  if (have < n) await new Promise<void>((resolve) => waiters.set(phase, { n, resolve }));
  const sorted = [...phases.get(phase)!].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50_ms: round(percentile(sorted, 50), 2),
    p99_ms: round(percentile(sorted, 99), 2),
    max_ms: round(sorted.at(-1)!, 2),
  };
}

await serveCommands(
  { ready: true, did: agent.did, pid: process.pid },
  async (command) => {
    const [verb, a, b] = command.split(" ");
    if (verb === "await" && a && b) return awaitPhase(a, Number(b));
    if (verb === "cpu") {
      const { user, system } = process.cpuUsage();
      return { cpu_us: user + system };
    }
    if (verb === "stats") return agent.stats();
    throw new Error(`unknown command "${command}"`);
  },
  () => agent.close(),
);
