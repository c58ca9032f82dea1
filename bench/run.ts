/**
 * Benchmark runner: `npm run bench -- [name ...] [--quick]`.
 * Progress goes to stderr; the last line on stdout is one JSON object: the benchmark's own object when one ran,
 * otherwise {"results": {name: object, ...}}. Exit 2 on an unknown name or flag, 1 when a benchmark fails.
 */
import type { BenchOptions, BenchResult, Benchmark } from "./lib.js";
import { log } from "./lib.js";

/** name -> module (loaded on demand). Adding a benchmark is one line here. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  acp: () => import("./acp.js"),
  a2a: () => import("./a2a.js"),
  audit: () => import("./audit.js"),
  "cli-startup": () => import("./cli-startup.js"),
  cluster: () => import("./cluster.js"),
  "audit-tree": () => import("./audit-tree.js"),
  identity: () => import("./identity.js"),
  registry: () => import("./registry.js"),
};

const FLAGS = ["--quick"] as const;

function usage(): string {
  return `usage: npm run bench -- [${Object.keys(BENCHMARKS).join("|")} ...] [${FLAGS.join("] [")}]\n  benchmarks: ${Object.keys(BENCHMARKS).join(", ")}`;
}

async function main(argv: string[]): Promise<number> {
  const names: string[] = [];
  const options: BenchOptions = { quick: false };
  for (const arg of argv) {
    if (arg === "--quick") options.quick = true;
    else if (arg === "--help" || arg === "-h") {
      process.stderr.write(`${usage()}\n`);
      return 0;
    } else if (arg.startsWith("-")) {
      process.stderr.write(`unknown flag ${arg}\n${usage()}\n`);
      return 2;
    } else if (!Object.hasOwn(BENCHMARKS, arg)) {
      process.stderr.write(`unknown benchmark "${arg}"; known: ${Object.keys(BENCHMARKS).join(", ")}\n`);
      return 2;
    } else if (!names.includes(arg)) names.push(arg);
  }
  const selected = names.length > 0 ? names : Object.keys(BENCHMARKS);

  const results: Record<string, BenchResult> = {};
  let failed = false;
  for (const name of selected) {
    const started = performance.now();
    log(`${name}: starting${options.quick ? " (quick)" : ""}`);
    try {
      const bench = await BENCHMARKS[name]!();
      results[name] = await bench.run(options);
      log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed = true;
      log(`${name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      results[name] = { bench: name, error: err instanceof Error ? err.message : String(err) };
    }
  }
  const only = selected.length === 1 ? results[selected[0]!] : undefined;
  process.stdout.write(`${JSON.stringify(only ?? { results })}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
