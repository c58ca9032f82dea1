/** What the CLI test suites share to run `plexus` as a child process. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll } from "vitest";
import { runCli } from "../src/index.js";
import { fileURLToPath } from "node:url";

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "..", "bin", "plexus.js");

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A child environment without the caller's PLEXUS_* settings (the nats-server location stays). */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("PLEXUS_") && k !== "PLEXUS_NATS_SERVER") delete env[k];
  return env;
}

export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The JSON lines of a --json command's stderr (the errors and warnings it survived, the failure that ended it). */
export function stderrJson(text: string): Record<string, unknown>[] {
  return jsonLines(
    lines(text)
      .filter((l) => l.startsWith("{"))
      .join("\n"),
  );
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Result>;
  /** Resolves once stderr (or stdout) contains `text`. */
  waitFor: (text: string, timeoutMs?: number, stream?: "stdout" | "stderr") => Promise<void>;
}

/** Runs CLI child processes for one test; `reap()` (in the test's finally) kills whatever is still running. */
export function cli() {
  const children = new Set<ChildProcess>();

  /** Runs the CLI to completion. */
  const run = (args: string[], timeoutMs = 20_000, input?: string): Promise<Result> =>
    new Promise((resolveRun) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { timeout: timeoutMs, env: childEnv(), encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          children.delete(child);
          const code = err
            ? typeof (err as { code?: unknown }).code === "number"
              ? (err as { code: number }).code
              : null
            : 0;
          resolveRun({ code, stdout, stderr });
        },
      );
      // `input`: what the command reads on its standard input.
      if (input !== undefined) child.stdin?.end(input);
      children.add(child);
    });

  /** Starts the CLI and returns at once. */
  const start = (args: string[]): Running => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const exited = new Promise<Result>((r) =>
      child.on("close", (code) => {
        children.delete(child);
        r({ code, stdout: out, stderr: err });
      }),
    );
    const waitFor = async (text: string, timeoutMs = 15_000, stream: "stdout" | "stderr" = "stderr") => {
      const end = Date.now() + timeoutMs;
      while (!(stream === "stderr" ? err : out).includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`plexus exited before printing ${JSON.stringify(text)}: ${err}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${JSON.stringify(text)}; stderr so far: ${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    return { child, stdout: () => out, stderr: () => err, exited, waitFor };
  };

  /** Kills every child still running (SIGKILL) and waits until they are gone. */
  const reap = async (): Promise<void> => {
    const left = [...children];
    const gone = left.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("close", r)),
    );
    for (const c of left) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await Promise.all(gone);
    children.clear();
  };
  return { run, start, reap };
}

export interface Scope {
  /** A folder of the test's own (exists); its key folder is `keys` inside it. */
  dir: string;
  keys: string;
  mesh: string;
  /** Adds --keys, --mesh and --nats to a command line. */
  args: (...a: string[]) => string[];
}

/**
 * Per-test folders and meshes under one temporary root made before the file's tests and removed after them.
 * `scope()` gives a test its own key folder and mesh; `fresh(name)` a new path under the root (not created).
 */
export function cliScopes(prefix: string, natsUrl: () => string) {
  let root = "";
  let counter = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `plexus-${prefix}-`));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return {
    scope(): Scope {
      const n = ++counter;
      const dir = join(root, `s${n}`);
      const keys = join(dir, "keys");
      const mesh = `${prefix}${process.pid}-${n}`;
      mkdirSync(dir, { recursive: true });
      return { dir, keys, mesh, args: (...a: string[]) => [...a, "--keys", keys, "--mesh", mesh, "--nats", natsUrl()] };
    },
    fresh(name: string): string {
      return join(root, `${name}-${++counter}`);
    },
  };
}

/** The CLI in this process, for usage errors (returned before anything connects; a child costs a second of CPU each). */
export async function runHere(args: string[]): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        add(String(chunk));
        done();
      },
    });
  const code = await runCli(args, { out: sink((t) => (stdout += t)), err: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}

/** The first line of a running command's stdout, parsed (commands print one JSON line with --json). */
export async function firstJson<T>(p: Running): Promise<T> {
  await p.waitFor("\n", 20_000, "stdout");
  return JSON.parse(lines(p.stdout())[0] as string) as T;
}

/** A finished command's stdout, parsed. */
export const json = <T>(r: Result): T => JSON.parse(r.stdout) as T;
