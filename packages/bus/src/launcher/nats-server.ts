/**
 * Launches a local JetStream-enabled nats-server as a child process and controls its lifecycle
 * (stop, crash-like kill, restart on the same store and port).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ErrorCode, PlexusError } from "@plexus/core";
import { renderServerConfig } from "./config.js";
import { findNatsServer, readNatsServerVersion, type FoundNatsServer } from "./find-server.js";
import { trackChild } from "./reaper.js";
import { probeInfo, readPortsFile, sleep } from "./ready.js";

export interface LaunchOptions {
  /** JetStream store directory; created if missing. */
  storeDir: string;
  /** Client port; default -1 = random free port. */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** JetStream fsync interval: "always" or a nats duration such as "2m"; omit for the server default. */
  syncInterval?: "always" | (string & {});
  /** Maximum message payload in bytes (server default 1 MiB). */
  maxPayload?: number;
  /** nats-server binary; default: findNatsServer(). */
  serverPath?: string;
  /** Server log file; default: the server logs to its stderr, which is kept in memory for error reports. */
  logFile?: string;
  /** Debug logging in the server, and its output echoed to this process's stderr. */
  debug?: boolean;
  /** Raw nats-server configuration appended to the generated file. */
  extraConfig?: string;
  /** The server's name (a cluster's members must have distinct, stable names); default: a random one. */
  serverName?: string;
}

export interface NatsServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the exit was caused by stop() or kill(). */
  expected: boolean;
}

export interface NatsServerProcess extends AsyncDisposable {
  /** nats://HOST:PORT; unchanged across restarts. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly storeDir: string;
  /** The server's name (server_name), unchanged across restarts: what JetStream reports as a stream's leader. */
  readonly name: string;
  /** Process id of the current (or most recent) server process. */
  readonly pid: number;
  readonly version: string;
  readonly serverPath: string;
  readonly running: boolean;
  /** SIGTERM, wait for exit; SIGKILL after 5 s. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (simulates a crash). No-op when not running. */
  kill(): Promise<void>;
  /** Stops the server if it is running, then starts it again with the same store and port. */
  restart(): Promise<void>;
  /** Called on every exit of the server process; returns an unsubscribe function. */
  onExit(cb: (exit: NatsServerExit) => void): () => void;
}

const STARTUP_TIMEOUT_MS = 15_000;
const PORT_RETRY_MS = 5_000;
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 40;

interface Running {
  child: ChildProcess;
  pid: number;
  scratchDir: string;
  /** Resolves once the process has exited and its output is drained. */
  closed: Promise<NatsServerExit>;
  exited: boolean;
  expected: boolean;
}

export async function launchNatsServer(opts: LaunchOptions): Promise<NatsServerProcess> {
  if (!opts.storeDir) throw new PlexusError(ErrorCode.InvalidArgument, "launchNatsServer: storeDir is required");
  const found = opts.serverPath ? await describeServer(opts.serverPath) : await findNatsServer();
  const server = new NatsServer(opts, found);
  await server.start(opts.port ?? -1, false);
  return server;
}

async function describeServer(path: string): Promise<FoundNatsServer> {
  try {
    return { path, version: await readNatsServerVersion(path) };
  } catch (cause) {
    throw new PlexusError(ErrorCode.NatsServerNotFound, `nats-server at ${path} could not be run: ${String(cause)}`, {
      cause,
      details: { path },
    });
  }
}

class NatsServer implements NatsServerProcess {
  readonly host: string;
  readonly storeDir: string;
  readonly version: string;
  readonly serverPath: string;
  readonly #opts: LaunchOptions;
  readonly name: string;
  readonly #exitListeners = new Set<(exit: NatsServerExit) => void>();
  #tail: string[] = [];
  #port = -1;
  #pid = 0;
  #current: Running | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: LaunchOptions, found: FoundNatsServer) {
    this.#opts = opts;
    this.host = opts.host ?? "127.0.0.1";
    this.storeDir = resolve(opts.storeDir);
    this.version = found.version;
    this.serverPath = found.path;
    this.name = opts.serverName ?? `plexus_${randomBytes(6).toString("hex")}`;
  }

  get port(): number {
    return this.#port;
  }
  get url(): string {
    const h = this.host === "0.0.0.0" || this.host === "::" ? "127.0.0.1" : this.host;
    return `nats://${h.includes(":") ? `[${h}]` : h}:${this.#port}`;
  }
  get pid(): number {
    return this.#pid;
  }
  get running(): boolean {
    return this.#current !== undefined && !this.#current.exited;
  }

  onExit(cb: (exit: NatsServerExit) => void): () => void {
    this.#exitListeners.add(cb);
    return () => this.#exitListeners.delete(cb);
  }

  stop(): Promise<void> {
    return this.#serial(() => this.#terminate("SIGTERM"));
  }
  kill(): Promise<void> {
    return this.#serial(() => this.#terminate("SIGKILL"));
  }
  restart(): Promise<void> {
    return this.#serial(async () => {
      await this.#terminate("SIGTERM");
      await this.#startWithRetry(this.#port, true);
    });
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** First start; called once by launchNatsServer. */
  start(port: number, retryPortInUse: boolean): Promise<void> {
    return this.#serial(() => this.#startWithRetry(port, retryPortInUse));
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #startWithRetry(port: number, retryPortInUse: boolean): Promise<void> {
    const giveUpAt = Date.now() + PORT_RETRY_MS;
    for (;;) {
      try {
        return await this.#startOnce(port);
      } catch (err) {
        const portInUse = err instanceof PlexusError && err.details?.portInUse === true;
        if (!retryPortInUse || !portInUse || Date.now() >= giveUpAt) throw err;
        await sleep(250);
      }
    }
  }

  async #startOnce(port: number): Promise<void> {
    await mkdir(this.storeDir, { recursive: true });
    const scratchDir = await mkdtemp(join(tmpdir(), "plexus-nats-"));
    const confPath = join(scratchDir, "nats-server.conf");
    await writeFile(
      confPath,
      renderServerConfig({
        host: this.host,
        port,
        storeDir: this.storeDir,
        portsFileDir: scratchDir,
        serverName: this.name,
        syncInterval: this.#opts.syncInterval,
        maxPayload: this.#opts.maxPayload,
        logFile: this.#opts.logFile,
        debug: this.#opts.debug,
        extraConfig: this.#opts.extraConfig,
      }),
    );
    this.#tail = [];
    const run = this.#spawn(confPath, scratchDir);
    try {
      this.#port = await this.#waitReady(run);
    } catch (err) {
      run.expected = true;
      if (!run.exited) run.child.kill("SIGKILL");
      throw await this.#startupError(err, run);
    }
  }

  #spawn(confPath: string, scratchDir: string): Running {
    const child = spawn(this.serverPath, ["-c", confPath], { stdio: ["ignore", "pipe", "pipe"] });
    const release = trackChild(child, scratchDir);
    let settle!: (exit: NatsServerExit) => void;
    const run: Running = {
      child,
      pid: child.pid ?? 0,
      scratchDir,
      closed: new Promise((r) => (settle = r)),
      exited: false,
      expected: false,
    };
    this.#current = run;
    if (child.pid) this.#pid = child.pid;
    this.#capture(child);
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      run.exited = true;
      if (finished) return;
      finished = true;
      release();
      const exit: NatsServerExit = { code, signal, expected: run.expected };
      void rm(scratchDir, { recursive: true, force: true }).finally(() => settle(exit));
      for (const cb of this.#exitListeners) {
        try {
          cb(exit);
        } catch {
          // a listener's failure must not break lifecycle handling
        }
      }
    };
    child.on("exit", () => (run.exited = true));
    child.on("close", finish);
    child.on("error", (err) => {
      this.#remember(`spawn error: ${err.message}`);
      if (child.pid === undefined) finish(null, null);
    });
    return run;
  }

  #capture(child: ChildProcess): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      stream.setEncoding("utf8");
      let partial = "";
      stream.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) this.#remember(line);
      });
      stream.on("end", () => partial && this.#remember(partial));
    }
  }

  #remember(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (this.#opts.debug) process.stderr.write(`[nats-server] ${line}\n`);
  }

  /** Waits for the ports file, then for an INFO greeting advertising JetStream; returns the client port. */
  async #waitReady(run: Running): Promise<number> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let port: number | undefined;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (run.exited) throw new Error("nats-server exited during startup");
      port ??= await readPortsFile(run.scratchDir, run.pid);
      if (port !== undefined) {
        try {
          const info = await probeInfo(
            this.host === "0.0.0.0" ? "127.0.0.1" : this.host === "::" ? "::1" : this.host,
            port,
          );
          if (info.jetstream === true) return port;
          lastError = new Error("server is up but JetStream is not enabled yet");
        } catch (err) {
          lastError = err;
        }
      }
      await sleep(port === undefined ? 25 : 100);
    }
    throw new Error(
      `nats-server was not ready within ${STARTUP_TIMEOUT_MS / 1000} s${lastError ? ` (${String(lastError)})` : ""}`,
    );
  }

  async #startupError(err: unknown, run: Running): Promise<PlexusError> {
    const exit = await run.closed;
    let lines = [...this.#tail];
    if (this.#opts.logFile) {
      try {
        lines = [...lines, ...(await readFile(this.#opts.logFile, "utf8")).split("\n").slice(-TAIL_LINES)];
      } catch {
        // no log written
      }
    }
    const output = lines
      .filter((l) => l.trim() !== "")
      .slice(-20)
      .join("\n");
    const portInUse = /address already in use/i.test(output);
    const reason = err instanceof Error ? err.message : String(err);
    return new PlexusError(
      ErrorCode.NatsServerFailed,
      `nats-server (${this.serverPath}) failed to start: ${reason}${output ? `\n--- last server output ---\n${output}` : ""}`,
      {
        cause: err,
        details: {
          serverPath: this.serverPath,
          storeDir: this.storeDir,
          exitCode: exit.code,
          signal: exit.signal,
          portInUse,
        },
      },
    );
  }

  async #terminate(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const run = this.#current;
    if (!run || run.exited) {
      if (run) await run.closed;
      return;
    }
    run.expected = true;
    run.child.kill(signal);
    const escalate =
      signal === "SIGTERM" ? setTimeout(() => run.exited || run.child.kill("SIGKILL"), STOP_GRACE_MS) : undefined;
    try {
      await run.closed;
    } finally {
      clearTimeout(escalate);
    }
  }
}
