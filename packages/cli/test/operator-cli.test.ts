/** The CLI with NATS in operator mode: plexus init, plexus up (operator mode by default), agent commands via bootstrap. */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { ErrorCode } from "@plexus/core";
import { cli, cliScopes, jsonLines, type Running } from "./cli-process.js";

// No shared server: each test runs `plexus up`.
const { scope } = cliScopes("opcli", () => "nats://127.0.0.1:1");

async function firstJson<T>(p: Running): Promise<T> {
  await p.waitFor("\n", 30_000, "stdout");
  return JSON.parse(p.stdout().split("\n")[0] as string) as T;
}

describe("plexus init", () => {
  it("creates the operator, the system account and the mesh's account and users, 0600 files in a 0700 folder; idempotent", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      const first = await run(["init", "--keys", s.keys, "--mesh", s.mesh, "--json"]);
      expect(first.code, first.stderr).toBe(0);
      const info = JSON.parse(first.stdout) as { auth: string; mesh: string; account: string; files: string[] };
      expect(info.auth).toBe(join(s.dir, "nats"));
      expect(info.account).toMatch(/^A[A-Z2-7]{55}$/);
      expect((await stat(info.auth)).mode & 0o777).toBe(0o700);
      expect((await readdir(info.auth)).sort()).toEqual(info.files.map((f) => f.slice(info.auth.length + 1)).sort());
      for (const f of info.files) expect((await stat(f)).mode & 0o777, f).toBe(0o600);
      const again = JSON.parse((await run(["init", "--keys", s.keys, "--mesh", s.mesh, "--json"])).stdout) as { account: string };
      expect(again.account).toBe(info.account);
      expect((await run(["init", "--nats-auth", "off", "--mesh", s.mesh])).code).toBe(1);
    } finally {
      await reap();
    }
  });
});

describe("plexus up in operator mode", () => {
  it("admits only users of its operator; agent commands get their own user through the registry; operator commands use the service user", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      const up = start(["up", "--data", join(s.dir, "data"), "--nats-port", "0", "--http", "127.0.0.1:0", "--no-gateway", "--mesh", s.mesh, "--keys", s.keys, "--json"]);
      const info = await firstJson<{ nats: string; auth: string | null; registry: string }>(up);
      expect(info.auth).toBe(join(s.dir, "nats"));
      const args = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", info.nats];

      // Without credentials the server refuses the connection.
      await expect(connectBus({ servers: info.nats, connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: ErrorCode.NatsUnavailable });

      for (const name of ["alice", "bob"]) expect((await run(args("keys", "new", name))).code).toBe(0);
      const sent = await run(args("send", "--as", "alice", "--to", "bob", '{"hello":"operator mode"}', "--json"), 30_000);
      expect(sent.code, sent.stderr).toBe(0);
      const done = await run(args("listen", "--as", "bob", "--count", "1", "--timeout", "20", "--json"), 30_000);
      expect(done.code, done.stderr).toBe(0);
      const got = jsonLines(done.stdout);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ body: { hello: "operator mode" } });

      // Operator views read every agent's records: they connect as the mesh's service user.
      const agents = await run(args("agents", "--json"));
      expect(agents.code, agents.stderr).toBe(0);
      const rejected = await run(args("rejected", "--json"));
      expect(rejected.code, rejected.stderr).toBe(0);
      // With --nats-auth off the same command carries no credentials and is refused.
      const off = await run(args("agents", "--nats-auth", "off"));
      expect(off.code).toBe(1);

      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);

      // A restart on the same data and auth folders: same accounts, the mesh's history kept.
      const again = start(["up", "--data", join(s.dir, "data"), "--nats-port", "0", "--http", "127.0.0.1:0", "--no-gateway", "--mesh", s.mesh, "--keys", s.keys, "--json"]);
      const second = await firstJson<{ nats: string }>(again);
      const args2 = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", second.nats];
      expect((await run(args2("send", "--as", "bob", "--to", "alice", '"after restart"'), 30_000)).code).toBe(0);
      const back = await run(args2("listen", "--as", "alice", "--count", "1", "--timeout", "20", "--json"), 30_000);
      expect(back.code, back.stderr).toBe(0);
      expect(jsonLines(back.stdout)[0]).toMatchObject({ body: "after restart" });
      again.child.kill("SIGINT");
      expect((await again.exited).code).toBe(0);
    } finally {
      await reap();
    }
  }, 90_000);
});
