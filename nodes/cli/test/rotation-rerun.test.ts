/**
 * `keys rotate` run again after an interrupted run (the registry or the log took the
 * new key, the answer never came, so the files were not swapped: NAME is the old key, NAME.next the new one). Running
 * the command again must finish the swap, and above all must never delete NAME.next: it is the only copy of the key
 * the mesh now knows the identity by.
 */
import { readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, type Running } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("rr", () => nats.url);
const op = cliScopes("rrop", () => "nats://127.0.0.1:1");

/** Puts the key files back as an interrupted run leaves them: NAME the old key, NAME.next the new one. */
async function interrupt(keys: string, name: string): Promise<string> {
  const archived = (await readdir(keys)).find((f) => f.startsWith(`${name}.rotated-`))!;
  const newKey = await readFile(join(keys, `${name}.json`), "utf8");
  await rename(join(keys, `${name}.json`), join(keys, `${name}.next.json`));
  await rename(join(keys, archived), join(keys, `${name}.json`));
  return newKey;
}

/** Every key file's content in the folder (wherever the new key ended up). */
async function contents(keys: string): Promise<string[]> {
  return Promise.all((await readdir(keys)).map((f) => readFile(join(keys, f), "utf8")));
}

async function firstJson<T>(p: Running): Promise<T> {
  await p.waitFor("\n", 30_000, "stdout");
  return JSON.parse(p.stdout().split("\n")[0] as string) as T;
}

describe("keys rotate run again after an interrupted run", { timeout: 180_000 }, () => {
  it("--registry, after the log took the rotation, keeps (and installs) the new registry key", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      expect((await run(s.args("keys", "new", "reg"))).code).toBe(0);
      const first = await run(s.args("keys", "rotate", "reg", "--registry", "--json"));
      expect(first.code, first.stderr).toBe(0);
      const newKey = await interrupt(s.keys, "reg");

      const again = await run(s.args("keys", "rotate", "reg", "--registry", "--json"));
      // The log names the new key as the registry's successor: losing it leaves the mesh without a registry key.
      expect(await contents(s.keys)).toContain(newKey);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await reap();
    }
  });

  it("an agent's rotation run again on an open server finishes the swap", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      expect((await run(s.args("keys", "new", "alice"))).code).toBe(0);
      const registry = start(s.args("registry", "start", "--http", "off", "--data", "off", "--json"));
      await firstJson(registry);
      const cardFile = join(s.dir, "card.json");
      await (await import("node:fs/promises")).writeFile(
        cardFile,
        JSON.stringify({ name: "alice", description: "x", version: "1.0.0", capabilities: [{ name: "greet" }] }),
      );
      const alice = start(s.args("agent", "join", "--as", "alice", "--card", cardFile));
      await alice.waitFor("Ctrl-C to leave");
      alice.child.kill("SIGINT");
      expect((await alice.exited).code).toBe(0);
      const first = await run(s.args("keys", "rotate", "alice", "--json"));
      expect(first.code, first.stderr).toBe(0);
      const newKey = await interrupt(s.keys, "alice");
      const again = await run(s.args("keys", "rotate", "alice", "--json"));
      expect(await contents(s.keys)).toContain(newKey);
      expect(again.code, again.stderr).toBe(0);
      expect(await readFile(join(s.keys, "alice.json"), "utf8")).toBe(newKey);
    } finally {
      await reap();
    }
  });

  it("in NATS operator mode, an agent's rotation run again keeps (and installs) the new key", async () => {
    const s = op.scope();
    const { run, start, reap } = cli();
    try {
      const up = start([
        "up",
        "--data",
        join(s.dir, "data"),
        "--nats-port",
        "0",
        "--http",
        "127.0.0.1:0",
        "--no-gateway",
        "--mesh",
        s.mesh,
        "--keys",
        s.keys,
        "--json",
      ]);
      const info = await firstJson<{ nats: string }>(up);
      const args = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", info.nats];
      expect((await run(args("keys", "new", "alice"))).code).toBe(0);
      const cardFile = join(s.dir, "alice.card.json");
      await (await import("node:fs/promises")).writeFile(
        cardFile,
        JSON.stringify({ name: "alice", description: "greets", version: "1.0.0", capabilities: [{ name: "greet" }] }),
      );
      const alice = start(args("agent", "join", "--as", "alice", "--card", cardFile, "--json"));
      await firstJson(alice);
      alice.child.kill("SIGINT");
      expect((await alice.exited).code).toBe(0);
      const first = await run(args("keys", "rotate", "alice", "--json"), 30_000);
      expect(first.code, first.stderr).toBe(0);
      const newKey = await interrupt(s.keys, "alice");

      const again = await run(args("keys", "rotate", "alice", "--json"), 30_000);
      // The registry moved alice to the new key: deleting alice.next loses the identity for good.
      expect(await contents(s.keys), again.stderr).toContain(newKey);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await reap();
    }
  });
});
