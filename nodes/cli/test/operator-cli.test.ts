/** The CLI with NATS in operator mode: plexus init, plexus up (operator mode by default), agent commands via bootstrap. */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { connectBus, ensureMeshStream, historyStreamNames } from "@plexus/bus";
import { AuthFile } from "@plexus/bus/internal";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { cli, cliScopes, jsonLines, stderrJson, type Running } from "./cli-process.js";

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
      // The servers' include file holds JWTs only (public) and must be readable by a nats-server of another user.
      for (const f of info.files)
        expect((await stat(f)).mode & 0o777, f).toBe(f.endsWith(".server.conf") ? 0o644 : 0o600);
      expect(info.files).toContain(join(info.auth, `${s.mesh}.admin.creds`));
      // The servers' include: self-contained (the operator inlined), the full resolver in --resolver-dir, the accounts.
      const serverConfig = (JSON.parse(first.stdout) as { serverConfig: string }).serverConfig;
      expect(info.files).toContain(serverConfig);
      const conf = await readFile(serverConfig, "utf8");
      expect(conf).toMatch(/^operator: "eyJ/m);
      expect(conf).toContain('resolver: { type: full, dir: "resolver"');
      expect(conf).toContain(`${info.account}: "eyJ`);
      const again = JSON.parse(
        (await run(["init", "--keys", s.keys, "--mesh", s.mesh, "--resolver-dir", "/var/lib/nats/resolver", "--json"]))
          .stdout,
      ) as {
        account: string;
      };
      expect(again.account).toBe(info.account);
      expect(await readFile(serverConfig, "utf8")).toContain('dir: "/var/lib/nats/resolver"');
      expect((await run(["init", "--nats-auth", "off", "--mesh", s.mesh])).code).toBe(6); // INVALID_ARGUMENT: no folder to create it in
    } finally {
      await reap();
    }
    // Three CLI processes (each starts tsx: 1–4 s on a loaded 2-core machine).
  }, 30_000);
});

describe("plexus up in operator mode", () => {
  it("admits only users of its operator; agent commands get their own user through the registry; operator commands use the service user", async () => {
    const s = scope();
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
      const info = await firstJson<{ nats: string; auth: string | null; registry: string }>(up);
      expect(info.auth).toBe(join(s.dir, "nats"));
      const args = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", info.nats];

      // Without credentials the server refuses the connection.
      await expect(connectBus({ servers: info.nats, connectTimeoutMs: 2_000 })).rejects.toMatchObject({
        code: ErrorCode.RequestRefused,
      });

      for (const name of ["alice", "bob"]) expect((await run(args("keys", "new", name))).code).toBe(0);
      const sent = await run(
        args("send", "--as", "alice", "--to", "bob", '{"hello":"operator mode"}', "--json"),
        30_000,
      );
      expect(sent.code, sent.stderr).toBe(0);
      // bob has a key but never joined: said, and the message still waits for him.
      // --json: the warning is one JSON object on stderr.
      expect(stderrJson(sent.stderr)).toContainEqual({
        warning: {
          message: expect.stringMatching(
            /^did:key:\S+ has never joined mesh "[^"]+" \(the registry does not know it\): the message waits in its inbox until that agent listens/,
          ),
        },
      });
      const done = await run(args("listen", "--as", "bob", "--count", "1", "--timeout", "20", "--json"), 30_000);
      expect(done.code, done.stderr).toBe(0);
      const got = jsonLines(done.stdout);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ body: { hello: "operator mode" } });

      // Rotation and the kill switch over the agents' own NATS users: the rotation request travels on the old key's
      // connection, which the registry cuts only after answering.
      const cardFile = join(s.dir, "alice.card.json");
      await writeFile(
        cardFile,
        JSON.stringify({ name: "alice", description: "greets", version: "1.0.0", capabilities: [{ name: "greet" }] }),
      );
      const alice = start(args("agent", "join", "--as", "alice", "--card", cardFile, "--json"));
      const oldDid = (await firstJson<{ did: string }>(alice)).did;
      alice.child.kill("SIGINT");
      expect((await alice.exited).code).toBe(0);
      const rotated = await run(args("keys", "rotate", "alice", "--json"), 30_000);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ from: oldDid, to: expect.stringMatching(/^did:key:/) });
      expect((await run(args("send", "--as", "alice", "--to", "bob", '"from my new key"'), 30_000)).code).toBe(0);
      const suspended = await run(
        args("agent", "suspend", "bob", "--as", "registry", "--reason", "test", "--json"),
        30_000,
      );
      expect(suspended.code, suspended.stderr).toBe(0);
      const cut = await run(args("send", "--as", "bob", "--to", "alice", '"still here?"'), 30_000);
      expect(cut.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(cut.stderr).toContain("suspended");
      // A suspended agent's join says so and exits 8, refused (not a silent exit).
      const rejoin = await run(args("agent", "join", "--as", "bob", "--card", cardFile), 30_000);
      expect(rejoin.code, rejoin.stderr).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(rejoin.stderr).toContain("suspended");
      expect((await run(args("agent", "resume", "bob", "--as", "registry"), 30_000)).code).toBe(0);
      const resumed = await run(args("send", "--as", "bob", "--to", "alice", '"back"'), 30_000);
      expect(resumed.code, resumed.stderr).toBe(0);
      // alice joined (then rotated her key): no warning.
      expect(resumed.stderr).not.toContain("never joined");

      // Operator views read every agent's records: they connect as the mesh's service user.
      const agents = await run(args("agents", "--json"));
      expect(agents.code, agents.stderr).toBe(0);
      const rejected = await run(args("rejected", "--json"));
      expect(rejected.code, rejected.stderr).toBe(0);
      // With --nats-auth off the same command carries no credentials and is refused.
      const off = await run(args("agents", "--nats-auth", "off"));
      expect(off.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      // A mesh the auth folder has no account for: said so, with what to do, for operator and agent commands alike.
      for (const cmd of [["agents"], ["send", "--as", "alice", "--to", "bob", "x"]]) {
        const unknown = await run([...cmd, "--keys", s.keys, "--mesh", "nosuchmesh", "--nats", info.nats], 30_000);
        expect(unknown.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
        expect(unknown.stderr).toContain(
          `has no account for mesh "nosuchmesh". Create it with: plexus init --mesh nosuchmesh`,
        );
        expect(unknown.stderr).toContain("restart");
      }

      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);

      // A restart on the same data and auth folders: same accounts, the mesh's history kept.
      const again = start([
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
      const second = await firstJson<{ nats: string }>(again);
      const args2 = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", second.nats];
      expect((await run(args2("send", "--as", "bob", "--to", "alice", '"after restart"'), 30_000)).code).toBe(0);
      // Alice's (new key's) inbox: bob's message from before the restart, then this one.
      const back = await run(args2("listen", "--as", "alice", "--count", "2", "--timeout", "20", "--json"), 30_000);
      expect(back.code, back.stderr).toBe(0);
      expect(jsonLines(back.stdout).map((m) => m["body"])).toEqual(["back", "after restart"]);
      again.child.kill("SIGINT");
      expect((await again.exited).code).toBe(0);
    } finally {
      await reap();
    }
  }, 90_000);
});

describe("plexus up and its history streams", () => {
  it("runs its nodes on the service user; a stream weakened fails audit verify, one recreated makes the restarted nodes refuse it loudly", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    const upArgs = [
      "up",
      "--data",
      join(s.dir, "data"),
      "--nats-port",
      "0",
      "--http",
      "127.0.0.1:0",
      "--gateway-http",
      "127.0.0.1:0",
      "--mesh",
      s.mesh,
      "--keys",
      s.keys,
      "--json",
    ];
    const readyz = async (http: string) => {
      const r = await fetch(`${http}/readyz`);
      return {
        status: r.status,
        body: ((await r.json()) as { data: { refused?: { code: string; reason: string } } }).data,
      };
    };
    try {
      const up = start(upArgs);
      const info = await firstJson<{ nats: string; http: string; auth: string; a2a: string | null }>(up);
      expect(info.a2a).not.toBeNull();
      await expect.poll(async () => (await readyz(info.http)).status, { timeout: 20_000 }).toBe(200);
      // The test plays the operator with the admin creds plexus init wrote.
      const admin = await connectBus({
        servers: info.nats,
        credentials: { creds: await readFile(join(info.auth, AuthFile.adminCreds(s.mesh))) },
      });
      try {
        const jsm = await jetstreamManager(admin);
        const stream = historyStreamNames(s.mesh).mesh;
        const { config } = await jsm.streams.info(stream);
        await jsm.streams.update(stream, { ...config, max_age: 3_600_000_000_000 });
        const verify = await run([...s.args("audit", "verify"), "--nats", info.nats], 30_000);
        expect(verify.code, verify.stderr).toBe(exitCodeFor(ErrorCode.HistoryStreamWeakened));
        expect(verify.stderr).toContain("[HISTORY_STREAM_WEAKENED]");
        await jsm.streams.delete(stream);
        await ensureMeshStream(admin, s.mesh);
      } finally {
        await admin.close();
      }
      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);

      // Restarted on the same data: every node remembers the old log's creation time and refuses the new one, on stderr
      // as errors; up stays up, and the registry's /readyz says why.
      const again = start(upArgs);
      const second = await firstJson<{ http: string; a2a: string | null }>(again);
      const r = await readyz(second.http);
      expect(r.status).toBe(503);
      expect(r.body.refused).toMatchObject({ code: "HISTORY_STREAM_RECREATED" });
      await again.waitFor('"message":"registry: history stream');
      await again.waitFor('"message":"audit sealer: history stream');
      await again.waitFor('"message":"no A2A gateway: history stream');
      expect(second.a2a).toBeNull();
      again.child.kill("SIGINT");
      expect((await again.exited).code).toBe(0);
    } finally {
      await reap();
    }
  }, 120_000);
});
