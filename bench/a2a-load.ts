/**
 * Load shapes of the a2a benchmark: N calls with a fixed number in flight (1 = sequential), each call timed from its
 * start to its answer; and CPU accounting over a run, per process and for the whole host.
 */
import { cpus } from "node:os";
import type { BenchChild } from "./a2a-child.js";
import { now, percentile, pipelined, rate, round } from "./lib.js";

export interface LoadFigures {
  n: number;
  concurrency: number;
  ms: number;
  msgs_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Runs `call(0..n-1)` with `concurrency` in flight; throughput over the whole run, latency per call. */
export async function load(n: number, concurrency: number, call: (i: number) => Promise<void>): Promise<LoadFigures> {
  const times = new Array<number>(n);
  const t0 = now();
  await pipelined(n, concurrency, async (i) => {
    const start = now();
    await call(i);
    times[i] = now() - start;
  });
  const ms = now() - t0;
  return { n, concurrency, ms: round(ms), msgs_per_s: rate(n, ms), ...latencies(times) };
}

export function latencies(times: number[]): { p50_ms: number; p99_ms: number; max_ms: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50_ms: round(percentile(sorted, 50), 2),
    p99_ms: round(percentile(sorted, 99), 2),
    max_ms: round(sorted.at(-1) ?? Number.NaN, 2),
  };
}

/** Busy and total CPU time of the host (all cores, all processes: other people's too). */
function hostTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

export interface CpuFigures {
  /** CPU time per message (ms), by process: this one (the caller), each child, and the rest of the host (nats-server). */
  cpu_ms_per_msg: Record<string, number>;
  /** Share of all the host's cores busy meanwhile (nats-server and anything else included). */
  host_busy_percent: number;
}

/** CPU of this process and of `children` (asked with "cpu") while `run` goes, per message of `n`. */
export async function withCpu<T>(
  n: number,
  children: Record<string, BenchChild>,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: CpuFigures }> {
  const entries = Object.entries(children);
  const childCpu = () => Promise.all(entries.map(([, c]) => c.ask<{ cpu_us: number }>("cpu").then((a) => a.cpu_us)));
  const before = await childCpu();
  const host0 = hostTimes();
  const self0 = process.cpuUsage();
  const result = await run();
  const self = process.cpuUsage(self0);
  const host1 = hostTimes();
  const after = await childCpu();
  const perMsg = (us: number) => round(us / 1000 / n, 3);
  const used = [self.user + self.system, ...entries.map((_, i) => after[i]! - before[i]!)];
  const cpu_ms_per_msg: Record<string, number> = { caller: perMsg(used[0]!) };
  entries.forEach(([name], i) => (cpu_ms_per_msg[name] = perMsg(used[i + 1]!)));
  // What the host's cores did besides these processes: nats-server, mostly (and anything else running).
  cpu_ms_per_msg.rest_of_host = perMsg(Math.max(0, (host1.busy - host0.busy) * 1000 - used.reduce((a, b) => a + b, 0)));
  const host_busy_percent = round(((host1.busy - host0.busy) / Math.max(1, host1.total - host0.total)) * 100, 1);
  return { result, cpu: { cpu_ms_per_msg, host_busy_percent } };
}
