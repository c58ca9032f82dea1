/**
 * Part 1 of the identity benchmark: what NATS-enforced permissions cost ACP messaging. The same code (alice sends
 * one-way durable messages to bob, who listens throughout) runs against two servers of this run: an open one, and
 * one in operator mode where each agent connects as its own NATS user (a user JWT bound to its key, with the
 * permissions the registry grants agents) and the server checks every publish and subscription.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { Agent, type Delivery } from "@plexus/sdk";
import type { TestServer } from "@plexus/testing";
import { latencies } from "./a2a-load.js";
import { log, now, pipelined, rate, round, until } from "./lib.js";

export const MESSAGING_CONCURRENCY = 32;

export interface MessagingSizes {
  warmup: number;
  sequential: number;
  concurrent: number;
  /** Rounds of (open, operator) measurements; round r runs them in the order ABBA… to even out host drift. */
  rounds: number;
}

export interface RunFigures {
  n: number;
  concurrency: number;
  msgs_per_s: number;
  /** send() call until bob's handler ran. */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** send() call until the PubAck (the message stored). */
  send_p50_ms: number;
  send_p99_ms: number;
}

export type Mode = "open" | "operator";

/** One run's raw figures: its duration and, per message, send-to-handler and send-to-PubAck times (ms). */
interface Samples {
  concurrency: number;
  ms: number;
  handled: number[];
  acks: number[];
}

/** Two agents on one server: alice sends, bob listens for the whole run and times each message from alice's send call. */
class Pair {
  readonly #alice: Agent;
  readonly #bob: Agent;
  readonly #closers: (() => Promise<unknown>)[];
  /** Send start time (ms) by message index, and handler time minus it once bob has the message. */
  readonly #started = new Map<number, number>();
  #handled: number[] = [];

  private constructor(alice: Agent, bob: Agent, closers: (() => Promise<unknown>)[]) {
    this.#alice = alice;
    this.#bob = bob;
    this.#closers = closers;
  }

  static async open(server: TestServer, mode: Mode, mesh: string): Promise<Pair> {
    const closers: (() => Promise<unknown>)[] = [];
    const connect = async (): Promise<Agent> => {
      const key = generateKeyPair();
      if (mode === "open") return Agent.connect({ key, nats: server.url, mesh });
      const nc: NatsConnection = await server.auth.connectAgent(mesh, key, { name: `bench-${mode}` });
      closers.push(() => nc.close());
      return Agent.connect({ key, nats: nc, mesh });
    };
    if (mode === "operator") {
      const service = await server.auth.connectService(mesh);
      try {
        await ensureMeshStream(service, mesh);
      } finally {
        await service.close();
      }
    }
    const alice = await connect();
    const bob = await connect();
    closers.unshift(
      () => alice.close(),
      () => bob.close(),
    );
    const pair = new Pair(alice, bob, closers);
    await bob.listen((d: Delivery) => pair.#onMessage(d));
    return pair;
  }

  #onMessage(d: Delivery): void {
    const i = (d.body as { i: number }).i;
    const started = this.#started.get(i);
    if (started === undefined) return;
    this.#started.delete(i);
    this.#handled.push(now() - started);
  }

  /** `n` sends with `concurrency` in flight; msgs/s over first send until bob handled the n-th. */
  async measure(n: number, concurrency: number, base: number): Promise<Samples> {
    this.#handled = [];
    const acks = new Array<number>(n);
    const t0 = now();
    await pipelined(n, concurrency, async (k) => {
      const i = base + k;
      const start = now();
      this.#started.set(i, start);
      await this.#alice.send(this.#bob.did, { i });
      acks[k] = now() - start;
    });
    await until(() => this.#handled.length >= n, 60_000, `bob to handle ${n} messages`);
    return { concurrency, ms: now() - t0, handled: this.#handled, acks };
  }

  async close(): Promise<void> {
    for (const c of this.#closers) await c().catch(() => undefined);
  }
}

export interface MessagingFigures {
  open: { sequential: RunFigures; c32: RunFigures };
  operator: { sequential: RunFigures; c32: RunFigures };
  /** operator / open, per figure (msgs/s: > 1 means operator mode was faster; latency: > 1 means slower). */
  ratio: Record<string, number>;
  by_round: { mode: Mode; sequential: RunFigures; c32: RunFigures }[];
}

/** Figures of one run, or of several pooled: msgs/s as all messages over all the time, percentiles over all samples. */
function figures(runs: Samples[]): RunFigures {
  const handled = runs.flatMap((r) => r.handled);
  const sent = latencies(runs.flatMap((r) => r.acks));
  const ms = runs.reduce((s, r) => s + r.ms, 0);
  return {
    n: handled.length,
    concurrency: runs[0]!.concurrency,
    msgs_per_s: rate(handled.length, ms),
    ...latencies(handled),
    send_p50_ms: sent.p50_ms,
    send_p99_ms: sent.p99_ms,
  };
}

export async function messaging(servers: Record<Mode, TestServer>, sizes: MessagingSizes): Promise<MessagingFigures> {
  const pairs = {} as Record<Mode, Pair>;
  try {
    for (const mode of ["open", "operator"] as const)
      pairs[mode] = await Pair.open(servers[mode], mode, "identity-msg");
    let base = 0;
    for (const mode of ["open", "operator"] as const) {
      await pairs[mode].measure(sizes.warmup, MESSAGING_CONCURRENCY, base);
      base += sizes.warmup;
    }
    const byRound: MessagingFigures["by_round"] = [];
    const samples: { mode: Mode; sequential: Samples; c32: Samples }[] = [];
    for (let r = 0; r < sizes.rounds; r++) {
      const order: Mode[] = r % 2 === 0 ? ["open", "operator"] : ["operator", "open"];
      for (const mode of order) {
        const sequential = await pairs[mode].measure(sizes.sequential, 1, base);
        base += sizes.sequential;
        const c32 = await pairs[mode].measure(sizes.concurrent, MESSAGING_CONCURRENCY, base);
        base += sizes.concurrent;
        samples.push({ mode, sequential, c32 });
        const [s, c] = [figures([sequential]), figures([c32])];
        log(
          `identity: messaging round ${r + 1} ${mode}: sequential ${s.msgs_per_s}/s p50 ${s.p50_ms} / p99 ${s.p99_ms} ms; c${MESSAGING_CONCURRENCY} ${c.msgs_per_s}/s p50 ${c.p50_ms} / p99 ${c.p99_ms} ms`,
        );
        byRound.push({ mode, sequential: s, c32: c });
      }
    }
    const of = (mode: Mode) => {
      const mine = samples.filter((x) => x.mode === mode);
      return { sequential: figures(mine.map((x) => x.sequential)), c32: figures(mine.map((x) => x.c32)) };
    };
    const open = of("open");
    const operator = of("operator");
    const ratio: Record<string, number> = {};
    for (const run of ["sequential", "c32"] as const) {
      for (const f of ["msgs_per_s", "p50_ms", "p99_ms"] as const)
        ratio[`${run}_${f}`] = round(operator[run][f] / open[run][f], 3);
    }
    return { open, operator, ratio, by_round: byRound };
  } finally {
    for (const p of Object.values(pairs)) await p.close();
  }
}
