/**
 * A child process of the a2a benchmark, spoken to line by line: it is started with `node --import tsx <script>`,
 * prints one JSON line when ready, then answers each command written to its stdin with one JSON line; "stop" ends
 * it. Its stderr is relayed as progress. Used for the direct A2A server, the mesh agent and the gateway.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { log } from "./lib.js";

/** How long a command (or the start) may take before the child counts as hung. */
const ANSWER_MS = 120_000;

export class BenchChild<Ready = Record<string, unknown>> {
  readonly ready: Ready;
  readonly #proc: ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #label: string;

  private constructor(proc: ChildProcess, lines: AsyncIterator<string>, label: string, ready: Ready) {
    this.#proc = proc;
    this.#lines = lines;
    this.#label = label;
    this.ready = ready;
  }

  /** Starts `bench/<script>` with `env` added to this process's environment; resolves with its ready line. */
  static async start<Ready>(script: string, label: string, env: Record<string, string>): Promise<BenchChild<Ready>> {
    const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
    const proc = spawn(process.execPath, ["--import", "tsx", path], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    void (async () => {
      for await (const line of createInterface({ input: proc.stderr! })) log(`a2a: ${label}: ${line}`);
    })();
    const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    try {
      const ready = (await next(lines, proc, label)) as Ready;
      return new BenchChild(proc, lines, label, ready);
    } catch (err) {
      proc.kill();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Writes one command line and resolves with the child's answer. One command at a time. */
  async ask<T = Record<string, unknown>>(command: string): Promise<T> {
    this.#proc.stdin!.write(`${command}\n`);
    const answer = (await next(this.#lines, this.#proc, this.#label)) as T & { error?: string };
    if (answer.error) throw new Error(`${this.#label}: ${answer.error}`);
    return answer;
  }

  /** Asks it to stop, and kills it if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise((r) => this.#proc.once("exit", r));
    this.#proc.stdin!.write("stop\n");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) {
      log(`a2a: ${this.#label} did not stop within 15 s; killing process ${this.#proc.pid}`);
      this.#proc.kill("SIGKILL");
    }
  }
}

async function next(lines: AsyncIterator<string>, proc: ChildProcess, label: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ANSWER_MS)));
  try {
    const line = await Promise.race([lines.next(), timeout]);
    if (!line) throw new Error(`${label} (process ${proc.pid}) did not answer within ${ANSWER_MS} ms`);
    if (line.done)
      throw new Error(`${label} (process ${proc.pid}) ended (exit code ${proc.exitCode}, signal ${proc.signalCode})`);
    return JSON.parse(line.value) as unknown;
  } finally {
    clearTimeout(timer);
  }
}

/** The child side: prints `ready`, then answers each stdin line with `answer(line)` until "stop"; then `close()`. */
export async function serveCommands(
  ready: unknown,
  answer: (command: string) => Promise<unknown>,
  close: () => Promise<void>,
): Promise<never> {
  const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  emit(ready);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "stop") break;
    try {
      emit(await answer(line));
    } catch (err) {
      emit({ error: err instanceof Error ? err.message : String(err) });
    }
  }
  await close();
  process.exit(0);
}

/** A required environment variable of a child. */
export function childEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (this script is started by bench/a2a.ts)`);
  return v;
}
