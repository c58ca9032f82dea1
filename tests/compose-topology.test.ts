/**
 * The compose topology as local processes, from compose/docker-compose.yml and compose/nats-cluster.conf themselves
 * (tests/compose-runner.ts: same commands, volumes, dependency order and healthchecks; hostnames and ports mapped to
 * loopback, published ports forwarded like docker's proxy): init, three nats-servers in operator mode, the mesh
 * created R3 (plexus mesh status: every stream and bucket with 3 current replicas), two registry nodes, the sealer
 * and the gateway. Then two agents join with only the bootstrap creds and exchange a message with a receipt;
 * discovery answers the same on both registries, over HTTP and over /mcp through each registry's published port;
 * every node's healthcheck and /readyz answers 200.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, childEnv } from "../nodes/cli/test/cli-process.js";
import { ComposeRun, healthUrl, plexusInvocations } from "./compose-runner.js";

const run = new ComposeRun();
let agentDir = "";
let natsUrls = "";
const background: ChildProcess[] = [];

/** The long-running services with a healthcheck, and the registries. */
const nodes = () =>
  Object.entries(run.compose.services).filter(([name, s]) => s.restart !== "no" && name !== "eventstore");
const registries = () =>
  Object.entries(run.compose.services)
    .filter(([, s]) => plexusInvocations(s).some((a) => a[0] === "registry" && a[1] === "start"))
    .map(([name, s]) => ({ name, hostPort: Number((s.ports?.[0] ?? "").split(":")[0]) }));

/** An agent's CLI (the bootstrap creds only, as on another machine); resolves with its exit code and output. */
function plexus(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const all = [...args, "--nats", natsUrls, "--keys", join(agentDir, "keys"), "--nats-auth", join(agentDir, "nats")];
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...all], { env: childEnv(), timeout: timeoutMs }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const logs = new Map<string, string>();
function startPlexus(name: string, args: string[]): ChildProcess {
  const all = [...args, "--nats", natsUrls, "--keys", join(agentDir, "keys"), "--nats-auth", join(agentDir, "nats")];
  const child = spawn(process.execPath, [BIN, ...all], { env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
  logs.set(name, "");
  child.stderr?.setEncoding("utf8").on("data", (c: string) => logs.set(name, `${logs.get(name)}${c}`));
  background.push(child);
  return child;
}

/** POST a JSON-RPC request to /mcp through node:http, with the Host a client of that address sends. */
function mcp(port: number, host: string, body: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/mcp",
        method: "POST",
        headers: { host, "content-type": "application/json", accept: "application/json, text/event-stream" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => done({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", fail);
    req.end(JSON.stringify(body));
  });
}

const card = (name: string) => ({
  name,
  description: `${name} summarises web pages`,
  version: "1.0.0",
  tags: ["text"],
  capabilities: [{ name: "summarise", input: { type: "object" }, output: { type: "string" } }],
});

beforeAll(async () => {
  await run.init();
  try {
    await run.up({ except: ["eventstore"], timeoutMs: 150_000 });
    for (const [name] of nodes()) await run.waitHealthy(name, 120_000);
  } catch (err) {
    // What every service said, for the reader of a failed run.
    for (const r of run.running.values()) console.warn(`--- ${r.name}\n${r.output().slice(-3000)}`);
    throw err;
  }
  natsUrls = (
    await Promise.all(["nats-1", "nats-2", "nats-3"].map(async (s) => `nats://127.0.0.1:${await run.port(s, 4222)}`))
  ).join(",");
  agentDir = await mkdtemp(join(tmpdir(), "plexus-compose-agents-"));
  await mkdir(join(agentDir, "nats"), { recursive: true, mode: 0o700 });
  await copyFile(
    join(run.volume("auth"), "default.bootstrap.creds"),
    join(agentDir, "nats", "default.bootstrap.creds"),
  );
  for (const name of ["alice", "bob"]) {
    await writeFile(join(agentDir, `${name}.card.json`), JSON.stringify(card(name)));
    expect((await plexus(["keys", "new", name])).code).toBe(0);
  }
}, 400_000);

afterAll(async () => {
  // compose restarts a node that exits (restart: unless-stopped), and so does the runner; say so when one did.
  for (const r of run.restarts)
    console.warn(`compose topology: ${r.name} exited (${r.code}) and was restarted:\n${r.output}`);
  for (const c of background) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(background.map((c) => (c.exitCode === null ? new Promise((r) => c.once("close", r)) : undefined)));
  await run.down();
  if (agentDir) await rm(agentDir, { recursive: true, force: true });
}, 60_000);

describe("the compose topology, run from its own definitions", () => {
  it("every node passes its healthcheck, and /readyz answers 200 through each published port", async () => {
    for (const [name] of nodes()) expect(await run.healthy(name), name).toBe(true);
    let published = 0;
    for (const [name, s] of nodes()) {
      const path = new URL(healthUrl(s) ?? "http://x/").pathname;
      for (const p of s.image?.startsWith("node:") ? (s.ports ?? []) : []) {
        const r = await fetch(`http://localhost:${await run.published(Number(p.split(":")[0]))}${path}`);
        expect(r.status, `${name} ${p} ${path}`).toBe(200);
        published++;
      }
    }
    expect(published).toBe(4); // two registries, the sealer, the gateway
  });

  it("the mesh is R3: plexus mesh status finds every stream and bucket with 3 replicas, all current", async () => {
    const status = async () => {
      const r = await new Promise<{ code: number | null; stdout: string }>((done) =>
        execFile(
          process.execPath,
          [BIN, "mesh", "status", "--json", "--nats", natsUrls, "--nats-auth", run.volume("auth")],
          { env: childEnv(), timeout: 60_000 },
          (err, stdout) => done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }),
        ),
      );
      return JSON.parse(r.stdout) as { asked: number; streams: { name: string; replicas: number; current: number }[] };
    };
    let last = await status();
    await until(
      async () => {
        last = await status();
        return last.streams.length > 0 && last.streams.every((s) => s.current === 3);
      },
      60_000,
      "every stream current on 3 servers",
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    expect(last.asked).toBe(3);
    for (const s of last.streams) expect(s.replicas, s.name).toBe(3);
  }, 120_000);

  it("two agents join with the bootstrap creds and exchange a message with a receipt; both registries agree", async () => {
    const ready = (name: string) => join(agentDir, `${name}.ready`);
    // Started as a supervisor would: one that exits before it is ready (a join timing out on a loaded 2-core
    // machine) is started again, at most three times; each attempt's output is in the error.
    const supervised = async (name: string, args: string[]) => {
      const tries: string[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const child = startPlexus(name, [...args, "--ready-file", ready(name)]);
        const exited = new Promise((r) => child.once("close", r));
        let gone = false;
        void exited.then(() => (gone = true));
        await until(() => existsSync(ready(name)) || gone, 90_000, `${name} ready`);
        if (existsSync(ready(name))) return;
        tries.push(logs.get(name) ?? "");
      }
      throw new Error(`${name} not ready after 3 starts:\n${tries.join("\n")}`);
    };
    await Promise.all([
      ...["alice", "bob"].map((name) =>
        supervised(name, ["agent", "join", "--as", name, "--card", join(agentDir, `${name}.card.json`)]),
      ),
      supervised("listen", ["listen", "--as", "bob"]),
    ]);

    const sent = await plexus(["send", "--as", "alice", "--to", "bob", "hello", "--await-receipt", "--json"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain("receipt");

    const discover = async (hostPort: number) => {
      const r = await fetch(`http://localhost:${await run.published(hostPort)}/v1/discover?capability=summarise`);
      return ((await r.json()) as { data: { name: string }[] }).data.map((a) => a.name).sort();
    };
    const [first, second] = registries();
    await until(
      async () =>
        (await discover(first?.hostPort as number)).length === 2 &&
        (await discover(second?.hostPort as number)).length === 2,
      60_000,
      "both agents discoverable on both registries",
    );
    expect(await discover(first?.hostPort as number)).toEqual(["alice", "bob"]);
    expect(await discover(second?.hostPort as number)).toEqual(["alice", "bob"]);
  }, 240_000);

  it("/mcp answers through every registry's published port, and still refuses a foreign Host", async () => {
    const call = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "discover_agents", arguments: { capability: "summarise" } },
    };
    const answers: string[][] = [];
    for (const { name, hostPort } of registries()) {
      const port = await run.published(hostPort);
      const r = await mcp(port, `localhost:${port}`, call);
      expect(r.status, name).toBe(200);
      const agents = (r.json as { result: { structuredContent: { agents: { name: string }[] } } }).result
        .structuredContent.agents;
      answers.push(agents.map((a) => a.name).sort());
      expect((await mcp(port, `evil.example.com:${port}`, call)).status, name).toBe(403);
    }
    expect(answers).toEqual([
      ["alice", "bob"],
      ["alice", "bob"],
    ]);
  }, 60_000);
});
