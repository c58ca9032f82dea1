/**
 * The receivers a script starts in the background (`subscribe`, `listen`, `agent join`), as child processes against a
 * real nats-server and registry node:
 * - ready means ready: a message published (sent) right after `--ready-file` appears is always received, stated as a
 *   property over several fresh first-time subscriptions (before, `subscribe … &` then `publish` lost it 1 time in 3);
 * - the ready file holds JSON, appears whole (written beside and renamed) and is gone once the command stopped;
 * - SIGTERM and SIGINT sent to the node process itself, by anyone, stop each of them cleanly (exit 0), and `agent join`
 *   leaves the registry first: `agents --all` shows it as no longer present. Also when it was started as a background
 *   job of a non-interactive shell, which starts it with SIGINT ignored;
 * - `--timeout` ends a receiver that has nothing to wait on.
 */
import { spawn } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyStore } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { BIN, childEnv, cli, cliScopes, firstJson, json, jsonLines, type Running, type Scope } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("rdy", () => nats.url);

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/** Waits until `file` holds this command's ready report; fails at once if the command exited first. */
async function readyFile(p: Running, file: string): Promise<Record<string, unknown>> {
  const mine = async () => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`exited before ready: ${p.stderr()}`);
    const text = await readFile(file, "utf8").catch(() => "");
    try {
      const report = JSON.parse(text) as Record<string, unknown>;
      return report["pid"] === p.child.pid ? report : undefined;
    } catch {
      return undefined;
    }
  };
  await expect.poll(mine, { timeout: 30_000, interval: 20 }).toBeDefined();
  return (await mine()) as Record<string, unknown>;
}

/** Keys made in this process: the commands under test are the receivers, not `keys new`. */
async function keys(s: Scope, ...names: string[]): Promise<void> {
  const store = new KeyStore(s.keys);
  for (const name of names) await store.create(name);
}

interface AgentJson {
  did: string;
  name: string;
  present: boolean;
}

async function card(s: Scope, name: string): Promise<string> {
  const file = join(s.dir, `${name}.card.json`);
  await writeFile(
    file,
    JSON.stringify({
      name,
      description: `${name} summarises web pages`,
      version: "1.0.0",
      capabilities: [{ name: "summarise" }],
    }),
  );
  return file;
}

describe("ready reports and signals of background receivers", { timeout: 240_000 }, () => {
  it("subscribe: a message published as soon as the ready file exists is received, every time (fresh subscriptions)", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      const rounds = 5;
      await keys(s, "alice", ...Array.from({ length: rounds }, (_, i) => `sub${i}`));
      for (let i = 0; i < rounds; i++) {
        // A new subscriber name each round: its durable does not exist yet, the case that raced.
        const name = `sub${i}`;
        const file = join(s.dir, `${name}.ready`);
        const sub = start(
          s.args(
            "subscribe",
            "--as",
            name,
            `news${i}`,
            "--count",
            "1",
            "--timeout",
            "30",
            "--json",
            "--ready-file",
            file,
          ),
        );
        const ready = await readyFile(sub, file);
        expect(ready).toMatchObject({
          ready: true,
          command: "subscribe",
          pid: sub.child.pid,
          mesh: s.mesh,
          topic: `news${i}`,
        });
        expect(sub.stderr()).toMatch(/^plexus: ready: listening on the topic "news\d"/m);
        const published = await run(s.args("publish", "--as", "alice", `news${i}`, JSON.stringify({ round: i })));
        expect(published.code, published.stderr).toBe(0);
        const done = await sub.exited;
        expect(done.code, done.stderr).toBe(0);
        expect(jsonLines(done.stdout).map((m) => m["body"])).toEqual([{ round: i }]);
        // Gone once the command stopped.
        expect(await exists(file)).toBe(false);
      }
    } finally {
      await reap();
    }
  });

  it("listen: ready file and line once the inbox is read; SIGTERM and SIGINT to the process stop it cleanly and remove the file", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      await keys(s, "alice", "bob");
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        const file = join(s.dir, `listen-${signal}.ready`);
        await writeFile(file, "stale");
        const listener = start(s.args("listen", "--as", "bob", "--json", "--ready-file", file));
        // The stale file is removed before anything connects, then written again once ready.
        const ready = await readyFile(listener, file);
        expect(ready).toMatchObject({
          ready: true,
          command: "listen",
          pid: listener.child.pid,
          did: expect.stringMatching(/^did:key:z6Mk/),
        });
        const sent = await run(s.args("send", "--as", "alice", "--to", "bob", `"${signal}"`));
        expect(sent.code, sent.stderr).toBe(0);
        await listener.waitFor("\n", 20_000, "stdout");
        listener.child.kill(signal);
        const done = await listener.exited;
        expect(done.code, done.stderr).toBe(0);
        expect(jsonLines(done.stdout).map((m) => m["body"])).toEqual([signal]);
        expect(await exists(file)).toBe(false);
      }
    } finally {
      await reap();
    }
  });

  it("agent join: SIGTERM and SIGINT to the node process make it leave the registry, also as a shell's background job", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    const shells: ReturnType<typeof spawn>[] = [];
    try {
      await keys(s, "alice", "bob", "carol");
      const registry = start(s.args("registry", "start", "--http", "off", "--data", "off", "--json"));
      await firstJson(registry);
      const agents = async () => json<AgentJson[]>(await run(s.args("agents", "--all", "--json")));

      // Sent straight to the CLI's process: SIGTERM (kill, a service manager) and SIGINT (Ctrl-C, kill -INT).
      for (const [name, signal] of [
        ["alice", "SIGTERM"],
        ["bob", "SIGINT"],
      ] as const) {
        const file = join(s.dir, `${name}.ready`);
        const agent = start(s.args("agent", "join", "--as", name, "--card", await card(s, name), "--ready-file", file));
        const ready = await readyFile(agent, file);
        expect(ready).toMatchObject({ ready: true, command: "agent", did: expect.stringMatching(/^did:key:z6Mk/) });
        expect(agent.stderr()).toMatch(new RegExp(`^plexus: ready: ${name} joined mesh`, "m"));
        expect((await agents()).find((a) => a.did === ready["did"])).toMatchObject({ present: true });
        agent.child.kill(signal);
        const done = await agent.exited;
        expect(done.code, done.stderr).toBe(0);
        expect(done.stderr).toContain(`plexus: ${signal}: leaving the registry`);
        expect(await exists(file)).toBe(false);
        expect((await agents()).find((a) => a.did === ready["did"])).toMatchObject({ name, present: false });
      }

      // A background job of a non-interactive shell starts with SIGINT ignored; a SIGINT sent to it still counts.
      const file = join(s.dir, "carol.ready");
      const script = `"${process.execPath}" "${BIN}" agent join --as carol --card "${await card(s, "carol")}" --ready-file "${file}" --keys "${s.keys}" --mesh ${s.mesh} --nats ${nats.url} & wait`;
      const sh = spawn("bash", ["-c", script], { env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
      shells.push(sh);
      let stderr = "";
      sh.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const shellDone = new Promise<number | null>((r) => sh.on("close", r));
      await expect.poll(() => exists(file), { timeout: 30_000, interval: 20 }).toBe(true);
      const carol = JSON.parse(await readFile(file, "utf8")) as { pid: number; did: string };
      process.kill(carol.pid, "SIGINT");
      expect(await shellDone, stderr).toBe(0);
      expect(stderr).toContain("plexus: SIGINT: leaving the registry");
      expect(stderr).toContain('carol left mesh "');
      expect(await exists(file)).toBe(false);
      expect((await agents()).find((a) => a.did === carol.did)).toMatchObject({ name: "carol", present: false });

      registry.child.kill("SIGTERM");
      expect((await registry.exited).code).toBe(0);
    } finally {
      for (const sh of shells) sh.kill("SIGKILL");
      await reap();
    }
  });

  it("--timeout ends a receiver with nothing to wait on: exit 1 short of --count, 0 without it; no ready file is left", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await keys(s, "bob");
      const file = join(s.dir, "quiet.ready");
      const short = await run(
        s.args("subscribe", "--as", "bob", "quiet", "--count", "1", "--timeout", "1", "--ready-file", file),
      );
      expect(short.code).toBe(1);
      expect(short.stderr).toContain("timed out after 1 s with 0 of 1 messages");
      // Long enough to get ready on a busy machine (--timeout counts from the start, connecting included).
      const open = await run(s.args("subscribe", "--as", "bob", "quiet", "--timeout", "5", "--ready-file", file));
      expect(open.code, open.stderr).toBe(0);
      expect(open.stderr).toMatch(/^plexus: ready: /m);
      expect(await exists(file)).toBe(false);
    } finally {
      await reap();
    }
  });
});
