/** Helpers shared by the benchmarks: options, progress output, a throwaway server, pacing and statistics. */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { launchNatsServer, type NatsServerProcess } from "@plexus/bus";

export interface BenchOptions {
  /** Smaller runs: the whole suite in well under 30 s. */
  quick: boolean;
}

export type BenchResult = { bench: string } & Record<string, unknown>;

/** What each benchmark module exports. */
export interface Benchmark {
  /** One line: what it measures. */
  readonly description: string;
  run(options: BenchOptions): Promise<BenchResult>;
}

/** Progress for humans: stderr, so stdout stays machine-readable. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** A JetStream server of the benchmark's own: temp store, random port on 127.0.0.1; `close()` stops it and removes the store. */
export interface BenchServer {
  readonly url: string;
  readonly version: string;
  close(): Promise<void>;
}

export async function startBenchServer(): Promise<BenchServer> {
  const tempDir = await mkdtemp(join(tmpdir(), "plexus-bench-"));
  let server: NatsServerProcess;
  try {
    server = await launchNatsServer({ storeDir: join(tempDir, "jetstream"), port: -1, host: "127.0.0.1" });
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    version: server.version,
    close: () =>
      (closing ??= (async () => {
        try {
          await server.stop();
        } finally {
          await rm(tempDir, { recursive: true, force: true });
        }
      })()),
  };
}

/** The machine a figure was measured on. */
export function environment(): { node: string; cpu: string; cores: number; platform: string } {
  const list = cpus();
  return {
    node: process.version,
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** High-resolution monotonic milliseconds. */
export const now = (): number => performance.now();

/** Wall-clock milliseconds since the epoch with sub-millisecond resolution (for timestamps that travel in a message). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Runs `task(0..n-1)` with at most `window` calls in flight: a new one starts as soon as one finishes.
 * Tasks start in index order. Rejects with the first failure (the others still settle).
 */
export async function pipelined(n: number, window: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
}

/**
 * Calls `tick(i)` for i = 0..count-1 at the absolute times start + i / ratePerSecond (timer-paced, never
 * catching up in bursts beyond what is already due). Resolves after the last call was made.
 */
export function paced(count: number, ratePerSecond: number, tick: (i: number) => void): Promise<void> {
  const interval = 1000 / ratePerSecond;
  const start = now();
  let i = 0;
  return new Promise((resolve, reject) => {
    const step = () => {
      try {
        const t = now();
        while (i < count && start + i * interval <= t) tick(i++);
        if (i >= count) return resolve();
        setTimeout(step, Math.max(0, start + i * interval - now()));
      } catch (err) {
        reject(err);
      }
    };
    step();
  });
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Messages per second for `n` messages in `ms`. */
export const rate = (n: number, ms: number): number => Math.round((n * 1000) / ms);

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 5 ms until it holds; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
