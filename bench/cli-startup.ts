/**
 * How long `plexus --version` takes, start to exit, against `node -e 0` (a bare node start) measured in the same run:
 *   bin            nodes/cli/bin/plexus.js --version on the build: what a user runs
 *   dist-main      node nodes/cli/dist/main.js --version: the built CLI without the bin in front (both answer from
 *                  src/fast-path.ts, before any command module loads)
 *   tsx-sources    node --import tsx nodes/cli/src/main.ts --version (sources under --conditions=@plexus/source):
 *                  how every command started before the build existed
 * Runs are interleaved so that a busy moment hits every variant alike; figures are medians and p90s in seconds.
 * Needs a build (`npm run build`).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchResult } from "./lib.js";
import { environment, log, now, percentile, round } from "./lib.js";

export const description =
  "plexus --version start-up: the build, the build with every command loaded, tsx on the sources; baseline node -e 0";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "nodes", "cli", "bin", "plexus.js");
const DIST_MAIN = join(ROOT, "nodes", "cli", "dist", "main.js");
const TARGET_S = 0.3;

const VARIANTS: Record<string, string[]> = {
  "node -e 0": ["-e", "0"],
  bin: [BIN, "--version"],
  "dist-main": [DIST_MAIN, "--version"],
  "tsx-sources": [
    "--conditions=@plexus/source",
    "--import",
    "tsx",
    join(ROOT, "nodes", "cli", "src", "main.ts"),
    "--version",
  ],
};

/** The environment without NODE_OPTIONS (`npm run bench` sets the source condition there for the other benchmarks). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

function timeOnce(args: string[]): Promise<number> {
  const t0 = now();
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { env: cleanEnv(), timeout: 30_000 }, (err, stdout) => {
      if (err) reject(new Error(`node ${args.join(" ")}: ${err.message}`));
      else if (args.includes("--version") && !/^plexus \d/.test(stdout))
        reject(new Error(`node ${args.join(" ")} printed ${JSON.stringify(stdout)}`));
      else resolve((now() - t0) / 1000);
    }),
  );
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  if (!existsSync(DIST_MAIN)) throw new Error(`${DIST_MAIN} is missing: run \`npm run build\` first`);
  const runs = options.quick ? 5 : 20;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
  for (const args of Object.values(VARIANTS)) await timeOnce(args); // warm the file cache
  for (let i = 0; i < runs; i++)
    for (const [name, args] of Object.entries(VARIANTS)) times[name]!.push(await timeOnce(args));
  const figures = Object.fromEntries(
    Object.entries(times).map(([name, t]) => {
      const sorted = [...t].sort((a, b) => a - b);
      return [name, { median_s: round(percentile(sorted, 50), 3), p90_s: round(percentile(sorted, 90), 3) }];
    }),
  );
  const base = figures["node -e 0"]!.median_s;
  for (const [name, f] of Object.entries(figures))
    log(
      `cli-startup: ${name.padEnd(12)} median ${f.median_s.toFixed(3)} s, p90 ${f.p90_s.toFixed(3)} s (${round(f.median_s / base, 1)}× node -e 0)`,
    );
  const bin = figures["bin"]!.median_s;
  log(
    `cli-startup: plexus --version ${bin.toFixed(3)} s: ${bin < TARGET_S ? "under" : "OVER"} the ${TARGET_S} s target`,
  );
  return {
    bench: "cli-startup",
    runs,
    target_s: TARGET_S,
    within_target: bin < TARGET_S,
    figures,
    environment: environment(),
  };
}
