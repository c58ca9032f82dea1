/**
 * Runs compose/docker-compose.yml as local processes, from its own definitions, so a test of the topology and the
 * compose file cannot drift: each service's command (the nats-servers from compose/nats-cluster.conf, the nodes
 * with the repo's CLI), its volumes (named volumes as shared folders, the checkout as itself), its working directory,
 * its environment, its depends_on conditions (started, healthy, completed successfully) and its healthcheck (the URL
 * it probes). Hostnames and container ports become 127.0.0.1 and free ports: `service:port`, `0.0.0.0:port` and
 * `127.0.0.1:port` inside a service name that service's port; `localhost:port` a published port, served by a TCP
 * forwarder to the container port as docker's proxy does (so the Host a client sends differs from the listen port).
 * Restart policies too: a service that exits is started again as docker would (`restarts` lists each exit).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findNatsServer } from "@plexus/bus";
import { parse } from "yaml";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const COMPOSE_DIR = join(REPO, "compose");
export const COMPOSE_FILE = join(COMPOSE_DIR, "docker-compose.yml");

export interface ComposeService {
  image?: string;
  command?: string[] | string;
  working_dir?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  healthcheck?: { test: string[] | string };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The compose file as compose reads it (YAML 1.1 merge keys `<<:` resolved). */
export function readCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as ComposeFile;
}

/** depends_on in its long form. */
export function dependsOn(s: ComposeService): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, "service_started"]));
  return Object.fromEntries(Object.entries(d).map(([n, c]) => [n, c.condition]));
}

/** The command as an argv (compose's `$$` is a literal `$`). */
export function argv(s: ComposeService): string[] {
  const c = s.command ?? [];
  return (typeof c === "string" ? c.split(/\s+/).filter(Boolean) : c).map((a) => a.replaceAll("$$", "$"));
}

/** The `plexus ...` invocations in a command: `node nodes/cli/bin/plexus.js ARGS` or, in a sh script, `plexus ARGS`. */
export function plexusInvocations(s: ComposeService): string[][] {
  const args = argv(s);
  const bin = args.findIndex((a) => a.endsWith("nodes/cli/bin/plexus.js"));
  if (args[0] === "node" && bin === 1) return [args.slice(2)];
  if (args[0] !== "sh") return [];
  const script = args[args.length - 1] as string;
  const found: string[][] = [];
  for (const part of script.split(/\n|&&|\|\||;/)) {
    const words = part.trim().split(/\s+/);
    if (words[0] === "plexus" && !part.includes("()")) found.push(words.slice(1));
  }
  return found;
}

/** The URL a healthcheck probes (the nats-servers' wget, the nodes' fetch). */
export function healthUrl(s: ComposeService): string | undefined {
  const test = s.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(" ") : (test ?? "");
  return /https?:\/\/[^\s'")]+/.exec(text)?.[0];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunningService {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The topology: start services in dependency order, map addresses, stop everything. */
export class ComposeRun {
  readonly compose = readCompose();
  readonly running = new Map<string, RunningService>();
  #root = "";
  readonly #ports = new Map<string, Promise<number>>();
  readonly #published = new Map<number, Promise<{ port: number; server: Server }>>();
  readonly #lastHealth = new Map<string, string>();
  readonly #stopped = new Set<string>();
  #down = false;
  /** Every exit a restart policy answered: the service, its exit code and what it printed. */
  readonly restarts: { name: string; code: number | null; output: string }[] = [];

  async init(): Promise<void> {
    this.#root = await mkdtemp(join(tmpdir(), "plexus-compose-"));
  }

  /** Where a named volume lives. */
  volume(name: string): string {
    return join(this.#root, "volumes", name);
  }

  /** The local port standing for a service's container port. */
  port(service: string, containerPort: number): Promise<number> {
    const key = `${service}:${containerPort}`;
    let port = this.#ports.get(key);
    if (port === undefined) {
      port = freePort();
      this.#ports.set(key, port);
    }
    return port;
  }

  /** The local port standing for a published host port (forwarded to its service's container port). */
  published(hostPort: number): Promise<number> {
    let known = this.#published.get(hostPort);
    if (!known) {
      known = this.#forward(hostPort);
      this.#published.set(hostPort, known);
    }
    return known.then((f) => f.port);
  }

  async #forward(hostPort: number): Promise<{ port: number; server: Server }> {
    for (const [name, s] of Object.entries(this.compose.services)) {
      for (const p of s.ports ?? []) {
        const [host, container] = p.split(":").map(Number);
        if (host !== hostPort) continue;
        const target = await this.port(name, container as number);
        const server = createServer((socket) => {
          const upstream = connect(target, "127.0.0.1");
          socket.pipe(upstream).pipe(socket);
          const close = () => {
            socket.destroy();
            upstream.destroy();
          };
          socket.on("error", close);
          upstream.on("error", close);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        return { port: (server.address() as { port: number }).port, server };
      }
    }
    throw new Error(`no service publishes port ${hostPort}`);
  }

  /** A text of service `service` with hostnames, ports and volume paths mapped to this machine. */
  async map(service: string, text: string): Promise<string> {
    const names = Object.keys(this.compose.services);
    const pattern = /\b(localhost|0\.0\.0\.0|127\.0\.0\.1|[a-z][a-z0-9-]*):(\d{2,5})\b/g;
    const replacements = new Map<string, string>();
    for (const m of text.matchAll(pattern)) {
      const [whole, host, portText] = m as unknown as [string, string, string];
      const port = Number(portText);
      if (host === "localhost") replacements.set(whole, `localhost:${await this.published(port)}`);
      else if (host === "0.0.0.0" || host === "127.0.0.1")
        replacements.set(whole, `127.0.0.1:${await this.port(service, port)}`);
      else if (names.includes(host)) replacements.set(whole, `127.0.0.1:${await this.port(host, port)}`);
    }
    let out = text.replace(pattern, (whole) => replacements.get(whole) ?? whole);
    // Volume targets, longest first, where a path starts (after a space, quote, `=`, `,` or the start).
    const mounts = this.#mounts(service).sort((a, b) => b.target.length - a.target.length);
    for (const { target, source } of mounts) {
      const re = new RegExp(`(^|[\\s"'=,])${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=/|$|[\\s"',])`, "gm");
      out = out.replace(re, (_m, pre: string) => `${pre}${source}`);
    }
    return out;
  }

  #mounts(service: string): { source: string; target: string; file: boolean }[] {
    return (this.compose.services[service]?.volumes ?? []).map((v) => {
      const [src, target] = v.split(":") as [string, string];
      if (src.startsWith(".")) {
        const source = resolve(COMPOSE_DIR, src);
        return { source, target, file: !src.endsWith("..") && /\.[a-z]+$/.test(src) };
      }
      return { source: this.volume(src), target, file: false };
    });
  }

  /** Starts one service (its dependencies must have been brought up first: see up()). */
  async start(name: string): Promise<RunningService> {
    const s = this.compose.services[name];
    if (!s) throw new Error(`no service ${name}`);
    for (const m of this.#mounts(name)) if (!m.file) await mkdir(m.source, { recursive: true });
    const cwd = s.working_dir ? await this.map(name, s.working_dir) : REPO;
    await mkdir(cwd, { recursive: true });
    const env = { ...process.env, ...(s.environment ?? {}) };
    let cmd: string;
    let args: string[];
    if (s.image?.startsWith("nats:")) {
      ({ cmd, args } = await this.#natsCommand(name, s));
    } else {
      const raw = argv(s);
      args = await Promise.all(raw.slice(1).map((a) => this.map(name, a)));
      cmd = raw[0] === "node" ? process.execPath : (raw[0] as string);
    }
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (output += c));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    const running = { name, child, output: () => output, exited };
    this.running.set(name, running);
    this.#stopped.delete(name);
    void exited.then((code) => this.#restart(name, s.restart, code, output));
    return running;
  }

  /** compose's restart policy: a service that exits (and was not stopped) starts again, as docker would. */
  async #restart(name: string, policy: string | undefined, code: number | null, output: string): Promise<void> {
    if (this.#stopped.has(name) || this.#down) return;
    if (!(policy === "always" || policy === "unless-stopped" || (policy === "on-failure" && code !== 0))) return;
    this.restarts.push({ name, code, output });
    await sleep(1000);
    if (!this.#stopped.has(name) && !this.#down) await this.start(name);
  }

  /** Stops a service as `docker compose stop` does (SIGTERM, SIGKILL after 10 s): its restart policy leaves it so. */
  async stop(name: string): Promise<void> {
    this.#stopped.add(name);
    const r = this.running.get(name);
    if (!r || r.child.exitCode !== null || r.child.signalCode !== null) return;
    r.child.kill("SIGTERM");
    const t = setTimeout(() => r.child.kill("SIGKILL"), 10_000);
    await r.exited;
    clearTimeout(t);
  }

  /** nats-server with the service's config file, mapped, next to the folders mounted beside it (its includes). */
  async #natsCommand(name: string, s: ComposeService): Promise<{ cmd: string; args: string[] }> {
    const raw = argv(s);
    const confTarget = raw[raw.indexOf("-c") + 1] as string;
    const mounts = this.#mounts(name);
    const conf = mounts.find((m) => m.target === confTarget);
    if (!conf) throw new Error(`${name}: ${confTarget} is not mounted`);
    const dir = join(this.#root, "etc", name);
    await mkdir(dir, { recursive: true });
    for (const m of mounts) {
      if (m.file || !m.target.startsWith(`${dirname(confTarget)}/`)) continue;
      await symlink(m.source, join(dir, m.target.slice(dirname(confTarget).length + 1))).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      });
    }
    const path = join(dir, "nats-server.conf");
    await writeFile(path, await this.map(name, await readFile(conf.source, "utf8")));
    return { cmd: (await findNatsServer()).path, args: ["-c", path] };
  }

  /** Whether a service's healthcheck passes now. */
  async healthy(name: string): Promise<boolean> {
    const s = this.compose.services[name];
    const url = s && healthUrl(s);
    if (!url) throw new Error(`${name} has no healthcheck`);
    try {
      const r = await fetch(await this.map(name, url), { signal: AbortSignal.timeout(3000) });
      this.#lastHealth.set(name, `${r.status} ${(await r.text()).slice(0, 2000)}`);
      return r.ok;
    } catch (err) {
      this.#lastHealth.set(name, String(err));
      return false;
    }
  }

  /** Waits until a service's healthcheck passes; the error names its last answer and its output. */
  async waitHealthy(name: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.healthy(name))) {
      const running = this.running.get(name);
      if (Date.now() > end) {
        const exits = this.restarts.filter((r) => r.name === name).map((r) => `exit ${r.code}:\n${r.output}`);
        throw new Error(
          `${name} not healthy in time (${this.#lastHealth.get(name)}):\n${[...exits, running?.output()].join("\n")}`,
        );
      }
      await sleep(250);
    }
  }

  /** Waits for a dependency condition of compose's depends_on. */
  async #satisfy(name: string, condition: string, timeoutMs: number): Promise<void> {
    const running = this.running.get(name);
    if (!running) throw new Error(`${name} was not started`);
    if (condition === "service_completed_successfully") {
      const code = await Promise.race([running.exited, sleep(timeoutMs).then(() => "timeout" as const)]);
      if (code !== 0) throw new Error(`${name} did not complete successfully (${code}):\n${running.output()}`);
      return;
    }
    if (condition === "service_healthy") await this.waitHealthy(name, timeoutMs);
  }

  /** Brings up `services` (default: all but `except`) and what they depend on, in compose's order. */
  async up(options: { services?: string[]; except?: string[]; timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 90_000;
    const wanted = (options.services ?? Object.keys(this.compose.services)).filter(
      (n) => !(options.except ?? []).includes(n),
    );
    const started = new Map<string, Promise<void>>();
    const bring = (name: string): Promise<void> => {
      let p = started.get(name);
      if (!p) {
        const deps = dependsOn(this.compose.services[name] as ComposeService);
        p = (async () => {
          await Promise.all(Object.keys(deps).map(bring));
          await Promise.all(Object.entries(deps).map(([d, c]) => this.#satisfy(d, c, timeoutMs)));
          await this.start(name);
        })();
        started.set(name, p);
      }
      return p;
    };
    await Promise.all(wanted.map(bring));
  }

  /** Stops every service (SIGTERM, then SIGKILL after 10 s), closes the forwarders, removes the folders. */
  async down(): Promise<void> {
    this.#down = true;
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
    for (const forward of this.#published.values()) (await forward.catch(() => undefined))?.server.close();
    if (this.#root) await rm(this.#root, { recursive: true, force: true });
  }
}
