/**
 * The compose topology's processes on a test cluster, each a `plexus` child process as compose runs them: two
 * registry nodes (one shared registry key, made first, as compose's init step does), two audit sealers (one writes,
 * one stands by), and the A2A gateway; plus in-process agents: bob answers A2A tasks after a delay (so a task is in
 * flight while something is killed), carol listens, alice sends. HTTP on random ports, snapshots off.
 */
import { join } from "node:path";
import type { Client } from "@a2a-js/sdk/client";
import { TaskState, type Task } from "@a2a-js/sdk";
import type { ForwardedMessage } from "@plexus/a2a";
import { agentUrls } from "@plexus/a2a/internal";
import { generateKeyPair } from "@plexus/identity";
import { Agent, type AgentCard, type Delivery } from "@plexus/sdk";
import { until } from "@plexus/testing";
import { cli, firstJson, type Running } from "../nodes/cli/test/cli-process.js";
import { client, request } from "../nodes/cli/test/a2a/fixtures.js";

/** How long bob works on a task before he answers. */
export const TASK_MS = 1_500;
/**
 * How long a message may take to reach its listener, and a task in flight to complete, while one part is down: 20 s
 * (a new leader is elected within a few seconds; a reader whose pull request died with its consumer's leader must
 * notice and pull again).
 */
export const STEP_MS = 20_000;

type Cli = ReturnType<typeof cli>;

export interface Part {
  name: string;
  /** The command line (without the --nats, --mesh, --keys and --json every part gets). */
  args: string[];
  process: Running;
  /** What it printed first (--json). */
  info: Record<string, unknown>;
}

function bobCard(): AgentCard {
  return {
    name: "bob",
    description: "bob, answers A2A tasks after a while",
    version: "1.0.0",
    capabilities: [{ name: "echo" }],
    a2a: { expose: true },
  };
}

export class Topology {
  readonly parts = new Map<string, Part>();
  readonly agents: Agent[] = [];
  /** What carol's handler got. */
  readonly carolGot = new Set<string>();
  alice!: Agent;
  bob!: Agent;
  carol!: Agent;
  readonly #cli: Cli = cli();

  private constructor(
    readonly nats: string,
    readonly urls: string[],
    readonly mesh: string,
    readonly keys: string,
  ) {}

  static async start(o: { nats: string; urls: string[]; mesh: string; dir: string }): Promise<Topology> {
    const t = new Topology(o.nats, o.urls, o.mesh, join(o.dir, "keys"));
    const made = await t.#cli.run(["keys", "new", "registry", "--keys", t.keys]);
    if (made.code !== 0) throw new Error(`keys new registry: ${made.stderr}`);
    await Promise.all([
      t.startPart("registry-1", ["registry", "start", "--http", "127.0.0.1:0", "--data", "off", "--no-sealer"]),
      t.startPart("registry-2", ["registry", "start", "--http", "127.0.0.1:0", "--data", "off", "--no-sealer"]),
    ]);
    await t.startPart("sealer-1", ["audit", "seal", "--id", "sealer-1", "--data", "off", "--http", "127.0.0.1:0"]);
    await t.startPart("sealer-2", ["audit", "seal", "--id", "sealer-2", "--data", "off", "--http", "127.0.0.1:0"]);
    await t.startPart("gateway", ["gateway", "start", "--http", "127.0.0.1:0"]);
    await t.#startAgents();
    return t;
  }

  /** Starts (or starts again) a part by name; resolves once it printed its first line. */
  async startPart(name: string, args: string[]): Promise<Part> {
    const process = this.#cli.start([...args, "--nats", this.nats, "--mesh", this.mesh, "--keys", this.keys, "--json"]);
    const info = await firstJson<Record<string, unknown>>(process);
    const part = { name, args, process, info };
    this.parts.set(name, part);
    return part;
  }

  part(name: string): Part {
    const p = this.parts.get(name);
    if (!p) throw new Error(`no part ${name}`);
    return p;
  }

  /** SIGKILL, and wait until it is gone; resolves to its command line, to start it again. */
  async kill(name: string): Promise<string[]> {
    const p = this.part(name);
    p.process.child.kill("SIGKILL");
    await p.process.exited;
    this.parts.delete(name);
    return p.args;
  }

  async #startAgents(): Promise<void> {
    const connect = async () => {
      const agent = await Agent.connect({ key: generateKeyPair(), nats: this.urls, mesh: this.mesh });
      this.agents.push(agent);
      return agent;
    };
    [this.alice, this.bob, this.carol] = [await connect(), await connect(), await connect()];
    await this.bob.join(bobCard());
    await this.bob.listen((d) => this.#answer(d));
    await this.carol.join({
      name: "carol",
      description: "carol listens",
      version: "1.0.0",
      capabilities: [{ name: "chat" }],
    });
    await this.carol.listen((d) => {
      this.carolGot.add(d.id);
    });
    await this.alice.join({
      name: "alice",
      description: "alice sends",
      version: "1.0.0",
      capabilities: [{ name: "chat" }],
    });
  }

  async #answer(d: Delivery): Promise<void> {
    if (d.type !== "a2a.message") return;
    await new Promise((r) => setTimeout(r, TASK_MS));
    await this.bob.reply(d, { state: "completed", text: `done: ${(d.body as ForwardedMessage).text}` });
  }

  /** An A2A client for bob through the gateway running now. */
  bobClient(): Promise<Client> {
    const url = this.part("gateway").info["url"] as string;
    return client(agentUrls(url, this.bob.did).base, "JSONRPC", true);
  }

  /** Sends bob an A2A task and returns at once (the task is in flight for TASK_MS). */
  async startTask(text: string): Promise<Task> {
    const task = (await (await this.bobClient()).sendMessage(request(text))) as Task;
    if (!task.id) throw new Error(`no task: ${JSON.stringify(task)}`);
    return task;
  }

  /** Waits until the task is completed as read through the gateway running now; returns its answer. */
  async taskCompleted(id: string, timeoutMs = STEP_MS): Promise<string> {
    let last: Task | string | undefined;
    await until(
      async () => {
        last = await (await this.bobClient())
          .getTask({ tenant: "", id, historyLength: 0 })
          .catch((err: unknown) => `error: ${(err as Error).message}`);
        return typeof last !== "string" && last.status?.state === TaskState.TASK_STATE_COMPLETED;
      },
      timeoutMs,
      `A2A task ${id} completed`,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; last answer: ${typeof last === "string" ? last : `state ${last?.status?.state}`}`,
      );
    });
    const part = (last as Task).status?.message?.parts[0]?.content;
    return part?.$case === "text" ? part.value : "";
  }

  /** alice sends carol a message; resolves once carol's handler has it. */
  async sendAndReceive(timeoutMs = STEP_MS): Promise<void> {
    const sent = await this.alice.send(this.carol.did, { at: Date.now() });
    await until(() => this.carolGot.has(sent.id), timeoutMs, `carol receiving ${sent.id}`);
  }

  /** The DIDs a discovery for bob's capability returns. */
  async discoverBob(): Promise<boolean> {
    const found = await this.alice.discover({ capability: "echo" });
    return found.result.some((r) => r.did === this.bob.did);
  }

  /** `plexus audit status --json`, as printed (for a failure's report). */
  async auditStatus(): Promise<string> {
    const r = await this.#cli.run([
      "audit",
      "status",
      "--json",
      "--nats",
      this.nats,
      "--mesh",
      this.mesh,
      "--keys",
      this.keys,
    ]);
    return r.code === 0 ? r.stdout.trim() : `exit ${r.code}: ${r.stderr.trim()}`;
  }

  /** The last lines a part wrote to stderr. */
  stderrTail(name: string, lines = 5): string {
    return this.part(name).process.stderr().trim().split("\n").slice(-lines).join(" | ");
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.agents.splice(0).map((a) => a.close()));
    await this.#cli.reap();
  }
}
