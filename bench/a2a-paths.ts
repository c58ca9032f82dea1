/**
 * The four paths of the a2a benchmark, each measured sequentially and with CONCURRENCY calls in flight after an
 * unmeasured warm-up. The answering side always runs in a child process; this process only calls.
 *   directA2A     @a2a-js/sdk client -> @a2a-js/sdk Express server (a2a-server-child.ts)
 *   acpRequest    agent.request -> mesh agent replies (a2a-mesh-child.ts)
 *   acpOneway     agent.send (resolves when stored) -> mesh agent's handler counts
 *   gateway       @a2a-js/sdk client -> gateway + registry (a2a-gateway-child.ts) -> mesh agent replies
 */
import { Role, type Message, type Task } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, type Client } from "@a2a-js/sdk/client";
import { agentUrls } from "@plexus/a2a/internal";
import { generateKeyPair } from "@plexus/identity";
import { Agent } from "@plexus/sdk";
import { BenchChild } from "./a2a-child.js";
import { load, withCpu, type CpuFigures, type LoadFigures } from "./a2a-load.js";
import { log, now, rate, round, sleep, wallNow } from "./lib.js";

export const CONCURRENCY = 32;

export interface Sizes {
  warmup: number;
  sequential: number;
  concurrent: number;
}

export type Measured = LoadFigures & CpuFigures;

export interface PathFigures {
  sequential: Measured;
  c32: Measured;
}

type Children = Record<string, BenchChild>;

/** Warm-up, then the sequential and the concurrent run of `call`, with CPU per process for each. */
async function measure(
  name: string,
  sizes: Sizes,
  children: Children,
  call: (i: number) => Promise<void>,
): Promise<PathFigures> {
  await load(sizes.warmup, CONCURRENCY, (i) => call(1_000_000 + i));
  const runs: Measured[] = [];
  for (const [n, c] of [
    [sizes.sequential, 1],
    [sizes.concurrent, CONCURRENCY],
  ] as const) {
    const { result, cpu } = await withCpu(n, children, () => load(n, c, (i) => call(i + (c === 1 ? 0 : 500_000))));
    log(
      `a2a: ${name} c${c}: ${result.msgs_per_s} msgs/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms (host CPU ${cpu.host_busy_percent}% busy)`,
    );
    runs.push({ ...result, ...cpu });
  }
  return { sequential: runs[0]!, c32: runs[1]! };
}

function userMessage(text: string): Message {
  const part = {
    content: { $case: "text" as const, value: text },
    metadata: undefined,
    filename: "",
    mediaType: "text/plain",
  };
  return {
    messageId: crypto.randomUUID(),
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: [part],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A blocking SendMessage that must come back as a Message saying "echo: <text>". */
async function a2aEcho(client: Client, text: string): Promise<void> {
  const result: Message | Task = await client.sendMessage({
    tenant: "",
    message: userMessage(text),
    configuration: undefined,
    metadata: undefined,
  });
  if ("status" in result) throw new Error(`expected an A2A Message, got a task in state ${result.status?.state}`);
  const said = result.parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : [])).join("\n");
  if (said !== `echo: ${text}`) throw new Error(`expected "echo: ${text}", got "${said}"`);
}

/** @a2a-js/sdk's ClientFactory client over JSON-RPC (tried again for `retryMs`: a fresh agent may not be served yet). */
async function a2aClient(base: string, retryMs = 0): Promise<Client> {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { preferredTransports: ["JSONRPC"] }),
  );
  const end = now() + retryMs;
  for (;;) {
    try {
      return await factory.createFromUrl(base);
    } catch (err) {
      if (now() > end) throw err;
      await sleep(100);
    }
  }
}

export async function directA2A(sizes: Sizes): Promise<PathFigures & { url: string }> {
  const server = await BenchChild.start<{ url: string }>("a2a-server-child.ts", "a2a server", {});
  try {
    const client = await a2aClient(server.ready.url);
    log(
      `a2a: direct A2A: server (process ${server.pid}) at ${server.ready.url}, client over ${client.transport.protocolName}`,
    );
    return {
      url: server.ready.url,
      ...(await measure("direct A2A", sizes, { server }, (i) => a2aEcho(client, `hello ${i}`))),
    };
  } finally {
    await server.stop();
  }
}

/** The mesh agent that answers, in a child process, and the calling agent here. */
export async function withMeshPair<T>(
  url: string,
  mesh: string,
  run: (caller: Agent, responder: BenchChild<{ did: string }>) => Promise<T>,
): Promise<T> {
  const responder = await BenchChild.start<{ did: string }>("a2a-mesh-child.ts", "mesh agent", {
    BENCH_NATS: url,
    BENCH_MESH: mesh,
  });
  try {
    const caller = await Agent.connect({ key: generateKeyPair(), nats: url, mesh });
    try {
      return await run(caller, responder);
    } finally {
      await caller.close();
    }
  } finally {
    await responder.stop();
  }
}

export async function acpRequest(
  caller: Agent,
  responder: BenchChild<{ did: string }>,
  sizes: Sizes,
): Promise<PathFigures> {
  const to = responder.ready.did;
  return measure("ACP request/reply", sizes, { responder }, async (i) => {
    const text = `hello ${i}`;
    const reply = await caller.request(to, { text }, { type: "bench.request" });
    if (reply.body !== `echo: ${text}`) throw new Error(`expected "echo: ${text}", got ${JSON.stringify(reply.body)}`);
  });
}

export interface OnewayRun extends Measured {
  /** The sender's view: send() call until the mesh stored the message. */
  send_per_s: number;
  send_p50_ms: number;
  send_p99_ms: number;
  /** send() call until the receiver's handler ran (two processes' wall clocks on one host). */
  handler_p50_ms: number;
  handler_p99_ms: number;
  handler_max_ms: number;
}

/**
 * One-way durable messages: `n` sends with `concurrency` in flight (each resolves once stored); msgs/s is n over the
 * time from the first send until the receiver reported handling the n-th (the receiver listens throughout).
 */
async function onewayRun(
  caller: Agent,
  responder: BenchChild<{ did: string }>,
  phase: string,
  n: number,
  concurrency: number,
): Promise<Omit<OnewayRun, keyof CpuFigures>> {
  const to = responder.ready.did;
  const t0 = now();
  const sent = await load(n, concurrency, async (i) => {
    await caller.send(to, { phase, i, t: wallNow() }, { type: "bench.oneway" });
  });
  const handled = await responder.ask<{ count: number; p50_ms: number; p99_ms: number; max_ms: number }>(
    `await ${phase} ${n}`,
  );
  const ms = now() - t0;
  if (handled.count !== n) throw new Error(`the receiver handled ${handled.count} of ${n} messages of phase ${phase}`);
  return {
    n,
    concurrency,
    ms: round(ms),
    msgs_per_s: rate(n, ms),
    p50_ms: handled.p50_ms,
    p99_ms: handled.p99_ms,
    max_ms: handled.max_ms,
    send_per_s: sent.msgs_per_s,
    send_p50_ms: sent.p50_ms,
    send_p99_ms: sent.p99_ms,
    handler_p50_ms: handled.p50_ms,
    handler_p99_ms: handled.p99_ms,
    handler_max_ms: handled.max_ms,
  };
}

export async function acpOneway(
  caller: Agent,
  responder: BenchChild<{ did: string }>,
  sizes: Sizes,
): Promise<{ sequential: OnewayRun; c32: OnewayRun }> {
  await onewayRun(caller, responder, "warmup", sizes.warmup, CONCURRENCY);
  const runs: OnewayRun[] = [];
  for (const [phase, n, c] of [
    ["sequential", sizes.sequential, 1],
    ["c32", sizes.concurrent, CONCURRENCY],
  ] as const) {
    const { result, cpu } = await withCpu(n, { responder }, () => onewayRun(caller, responder, phase, n, c));
    log(
      `a2a: ACP one-way c${c}: ${result.msgs_per_s} msgs/s end to end (send ${result.send_per_s}/s, stored p99 ${result.send_p99_ms} ms; handler p50 ${result.handler_p50_ms} / p99 ${result.handler_p99_ms} ms)`,
    );
    runs.push({ ...result, ...cpu });
  }
  return { sequential: runs[0]!, c32: runs[1]! };
}

export async function gatewayA2A(
  url: string,
  mesh: string,
  sizes: Sizes,
): Promise<PathFigures & { agent_url: string }> {
  const gateway = await BenchChild.start<{ url: string; did: string }>("a2a-gateway-child.ts", "gateway", {
    BENCH_NATS: url,
    BENCH_MESH: mesh,
  });
  try {
    const agent = await BenchChild.start<{ did: string }>("a2a-mesh-child.ts", "exposed agent", {
      BENCH_NATS: url,
      BENCH_MESH: mesh,
      BENCH_JOIN: "1",
    });
    try {
      const base = agentUrls(gateway.ready.url, agent.ready.did).base;
      const client = await a2aClient(base, 10_000);
      log(`a2a: gateway (process ${gateway.pid}) serves the agent (process ${agent.pid}) at ${base}`);
      return {
        agent_url: base,
        ...(await measure("gateway A2A", sizes, { gateway, agent }, (i) => a2aEcho(client, `hello ${i}`))),
      };
    } finally {
      await agent.stop();
    }
  } finally {
    await gateway.stop();
  }
}
