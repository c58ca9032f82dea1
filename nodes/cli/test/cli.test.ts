/**
 * The `plexus` command as users run it: a child process (`node nodes/cli/bin/plexus.js …`) against a real
 * nats-server, with a temp key folder and a mesh of its own per test.
 */
import { stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { openJetStreamAuditStore } from "@plexus/audit";
import { Agent, generateKeyPair, KeyStore } from "@plexus/sdk";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, jsonLines, lines } from "./cli-process.js";

const nats = useTestServer();

const { scope, fresh } = cliScopes("cli", () => nats.url);

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("plexus CLI", { timeout: 60_000 }, () => {
  it("keys new / show / list: prints the DID, stores the key with mode 0600", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      const created = await run(["keys", "new", "alice", "--keys", s.keys]);
      expect(created.code).toBe(0);
      const did = created.stdout.trim();
      expect(did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$/);
      expect((await stat(join(s.keys, "alice.json"))).mode & 0o777).toBe(0o600);
      expect((await stat(s.keys)).mode & 0o777).toBe(0o700);

      const shown = await run(["keys", "show", "alice", "--keys", s.keys, "--json"]);
      expect(shown.code).toBe(0);
      const info = JSON.parse(shown.stdout) as Record<string, unknown>;
      expect(info).toMatchObject({ name: "alice", did, publicKeyMultibase: did.slice("did:key:".length) });
      const human = await run(["keys", "show", "alice", "--keys", s.keys]);
      expect(human.stdout).toContain(did);

      const again = await run(["keys", "new", "alice", "--keys", s.keys, "--json"]);
      expect(again.code).toBe(exitCodeFor(ErrorCode.KeyExists));
      expect(lines(again.stderr)).toHaveLength(1);
      expect(JSON.parse(again.stderr)).toMatchObject({
        error: {
          code: ErrorCode.KeyExists,
          message: expect.stringContaining('a key named "alice" already exists'),
          retryable: false,
        },
      });

      const second = await run(["keys", "new", "bob", "--keys", s.keys, "--json"]);
      expect(JSON.parse(second.stdout)).toMatchObject({ name: "bob" });
      const list = await run(["keys", "list", "--keys", s.keys, "--json"]);
      expect((JSON.parse(list.stdout) as { keys: { name: string }[] }).keys.map((k) => k.name)).toEqual([
        "alice",
        "bob",
      ]);
    } finally {
      await reap();
    }
  });

  it("send, then listen --count 1 --json: the message arrives with its body and fields", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      const bobDid = (await run(["keys", "new", "bob", "--keys", s.keys])).stdout.trim();
      const aliceDid = (await new KeyStore(s.keys).load("alice")).did;

      const sent = await run(
        s.args(
          "send",
          "--as",
          "alice",
          "--to",
          bobDid,
          '{"hello":"bob","n":[1,2]}',
          "--type",
          "greeting",
          "--conversation",
          "c-1",
          "--json",
        ),
      );
      expect(sent.code, sent.stderr).toBe(0);
      const receipt = JSON.parse(sent.stdout) as { id: string; streamSeq: number };
      expect(receipt.streamSeq).toBeGreaterThan(0);
      // --to also takes a key name; a BODY that is not JSON is a string.
      const sent2 = await run(s.args("send", "--as", "alice", "--to", "bob", "just text"));
      expect(sent2.code, sent2.stderr).toBe(0);
      expect(sent2.stdout).toMatch(/^[0-9A-Z]{26}\s+stream position \d+\n$/);

      const got = await run(s.args("listen", "--as", "bob", "--count", "2", "--timeout", "15", "--json"));
      expect(got.code, got.stderr).toBe(0);
      const msgs = jsonLines(got.stdout);
      expect(msgs).toHaveLength(2);
      expect(msgs[0]).toMatchObject({
        id: receipt.id,
        from: aliceDid,
        to: bobDid,
        type: "greeting",
        conversation: "c-1",
        body: { hello: "bob", n: [1, 2] },
        redelivered: false,
      });
      expect(typeof msgs[0]!["ts"]).toBe("number");
      expect(msgs[1]).toMatchObject({ body: "just text", type: "acp.message", conversation: null });

      // Acknowledged: a second listener finds nothing.
      const none = await run(s.args("listen", "--as", "bob", "--count", "1", "--timeout", "1"));
      expect(none.code).toBe(1);
    } finally {
      await reap();
    }
  });

  it("listen prints one readable line per message", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      await run(["keys", "new", "bob", "--keys", s.keys]);
      expect(
        (await run(s.args("send", "--as", "alice", "--to", "bob", '{"a":1}', "--type", "task.request"))).code,
      ).toBe(0);
      const got = await run(s.args("listen", "--as", "bob", "--count", "1"));
      expect(got.code, got.stderr).toBe(0);
      expect(lines(got.stdout)).toHaveLength(1);
      expect(got.stdout).toMatch(
        /^\d{4}-\d\d-\d\dT\S+\s+from did:key:z6Mk\S+…\S+\s+type task\.request\s+conv -\s+\{"a":1\}\n$/,
      );
    } finally {
      await reap();
    }
  });

  it("publish / subscribe --count: a running subscription gets every message", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      await run(["keys", "new", "bob", "--keys", s.keys]);
      const sub = start(s.args("subscribe", "--as", "bob", "news", "--count", "2", "--timeout", "20", "--json"));
      await sub.waitFor("listening on");
      expect((await run(s.args("publish", "--as", "alice", "news", '{"headline":"up"}'))).code).toBe(0);
      const p2 = await run(s.args("publish", "--as", "alice", "news", "second", "--type", "news.item", "--json"));
      expect(p2.code, p2.stderr).toBe(0);
      expect(JSON.parse(p2.stdout)).toMatchObject({ topic: "news" });
      const done = await sub.exited;
      expect(done.code, done.stderr).toBe(0);
      const msgs = jsonLines(done.stdout);
      expect(msgs.map((m) => m["body"])).toEqual([{ headline: "up" }, "second"]);
      expect(msgs[1]).toMatchObject({ topic: "news", type: "news.item" });
    } finally {
      await reap();
    }
  });

  it("send and publish take the body from --body-file FILE or - (standard input): a 100 kB body arrives whole; too large, both, or a missing file: clear errors", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      const bobDid = (await run(["keys", "new", "bob", "--keys", s.keys])).stdout.trim();
      const big = { text: "x".repeat(100_000), n: 1 };
      const viaStdin = await run(
        s.args("send", "--as", "alice", "--to", bobDid, "--body-file", "-"),
        20_000,
        JSON.stringify(big),
      );
      expect(viaStdin.code, viaStdin.stderr).toBe(0);
      const file = join(s.keys, "..", "body.json");
      await writeFile(file, JSON.stringify({ ...big, n: 2 }));
      const viaFile = await run(s.args("send", "--as", "alice", "--to", "bob", "--body-file", file));
      expect(viaFile.code, viaFile.stderr).toBe(0);
      const got = await run(s.args("listen", "--as", "bob", "--count", "2", "--timeout", "15", "--json"));
      expect(got.code, got.stderr).toBe(0);
      expect(jsonLines(got.stdout).map((m) => m["body"])).toEqual([big, { ...big, n: 2 }]);
      // publish too
      const published = await run(s.args("publish", "--as", "alice", "news", "--body-file", "-"), 20_000, "from stdin");
      expect(published.code, published.stderr).toBe(0);

      const both = await run(s.args("send", "--as", "alice", "--to", "bob", "hi", "--body-file", file));
      expect(both.code).toBe(2);
      expect(both.stderr).toContain("give BODY or --body-file, not both");
      const none = await run(s.args("send", "--as", "alice", "--to", "bob"));
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("missing BODY (or --body-file FILE, - for standard input)");
      const missing = await run(
        s.args("send", "--as", "alice", "--to", "bob", "--body-file", join(s.keys, "nowhere.json")),
      );
      expect(missing.code).toBe(exitCodeFor(ErrorCode.InvalidArgument));
      expect(missing.stderr).toMatch(/--body-file .*nowhere\.json: no such file/);
      // Over the mesh's envelope limit (128 KiB): refused with the reason, nothing sent.
      const tooBig = await run(
        s.args("send", "--as", "alice", "--to", "bob", "--body-file", "-"),
        20_000,
        "y".repeat(200_000),
      );
      expect(tooBig.code).toBe(exitCodeFor(ErrorCode.EnvelopeTooLarge));
      expect(tooBig.stderr.trim().split("\n")).toHaveLength(1);
      expect(tooBig.stderr).toMatch(/too large|bytes/i);
    } finally {
      await reap();
    }
  });

  it("send --await-receipt waits for the processed receipt of a running listener", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      await run(["keys", "new", "bob", "--keys", s.keys]);
      const listener = start(s.args("listen", "--as", "bob", "--json"));
      await listener.waitFor("listening on");
      const sent = await run(s.args("send", "--as", "alice", "--to", "bob", '{"task":1}', "--await-receipt", "--json"));
      expect(sent.code, sent.stderr).toBe(0);
      const result = JSON.parse(sent.stdout) as { id: string; receipt: { status: string; id: string } };
      expect(result.receipt).toMatchObject({ status: "processed", id: result.id });
      await listener.waitFor(result.id, 10_000, "stdout");

      // Ctrl-C closes the listener cleanly.
      listener.child.kill("SIGINT");
      const done = await listener.exited;
      expect(done.code).toBe(0);
      expect(jsonLines(done.stdout)[0]).toMatchObject({ id: result.id, body: { task: 1 } });
    } finally {
      await reap();
    }
  });

  it("send --await-receipt exits 1 with the reason when the recipient's handler failed", async () => {
    const s = scope();
    const { run, reap } = cli();
    let bob: Agent | undefined;
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      await run(["keys", "new", "bob", "--keys", s.keys]);
      bob = await Agent.connect({
        key: await new KeyStore(s.keys).load("bob"),
        nats: nats.url,
        mesh: s.mesh,
        maxAttempts: 1,
      });
      await bob.listen(() => {
        throw new Error("cannot summarise that");
      });
      const sent = await run(s.args("send", "--as", "alice", "--to", "bob", "x", "--await-receipt"));
      expect(sent.code).toBe(1);
      expect(lines(sent.stderr).at(-1)).toMatch(
        /^plexus: message [0-9A-Z]{26} failed at did:key:\S+ after 1 attempt: cannot summarise that$/,
      );
      // The operator finds it among the dead letters, whole.
      const dead = await run(s.args("dead-letters", "--json"));
      expect(dead.code, dead.stderr).toBe(0);
      const report = JSON.parse(dead.stdout) as {
        total: number;
        records: { reason: string; attempts: number; envelope: { body: unknown } }[];
      };
      expect(report.total).toBe(1);
      expect(report.records[0]).toMatchObject({
        reason: "cannot summarise that",
        attempts: 1,
        envelope: { body: "x" },
      });
      expect((await run(s.args("dead-letters"))).stdout).toContain("after 1 attempts: cannot summarise that");
    } finally {
      await bob?.close();
      await reap();
    }
  });

  it("listen --count 1 --timeout 1 with nothing sent exits 1 with the timeout line", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await run(["keys", "new", "bob", "--keys", s.keys]);
      const r = await run(s.args("listen", "--as", "bob", "--count", "1", "--timeout", "1"));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr).at(-1)).toBe("plexus: timed out after 1 s with 0 of 1 messages");
      // Without --count, a timeout is the normal end.
      const plain = await run(s.args("listen", "--as", "bob", "--timeout", "0.5"));
      expect(plain.code, plain.stderr).toBe(0);
    } finally {
      await reap();
    }
  });

  it("an unknown key: exit 6 (invalid input) with one line saying where it looked and how to create it", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      const r = await run(s.args("listen", "--as", "carol", "--count", "1"));
      expect(r.code).toBe(exitCodeFor(ErrorCode.KeyNotFound));
      expect(lines(r.stderr)).toEqual([
        `plexus: no key named "carol" in ${s.keys} (create it with: plexus keys new carol --keys ${s.keys})`,
      ]);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
      // --to takes a DID or a key name: a name that is not there says so.
      await run(["keys", "new", "alice", "--keys", s.keys]);
      const to = await run(s.args("send", "--as", "alice", "--to", "bob", "hi"));
      expect(to.code).toBe(exitCodeFor(ErrorCode.KeyNotFound));
      expect(lines(to.stderr)).toHaveLength(1);
      expect(to.stderr).toContain('no key named "bob"');
    } finally {
      await reap();
    }
  });

  it("bad usage exits 2 with the usage line", async () => {
    const { run, reap } = cli();
    try {
      const unknown = await run(["send", "--as", "alice", "--to", "bob", "hi", "--bogus"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("unknown option --bogus");
      expect(unknown.stderr).toContain("usage: plexus send --as NAME --to DID (BODY | --body-file FILE|-)");
      const missing = await run(["listen", "--count", "1"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("missing --as NAME");
      expect((await run(["listen", "--as", "bob", "--count", "zero"])).code).toBe(2);
      expect((await run(["publish", "--as", "bob", "bad.topic", "x"])).code).toBe(2);
      expect((await run(["frobnicate"])).code).toBe(2);
      expect((await run([])).code).toBe(2);
    } finally {
      await reap();
    }
  });

  it("NATS unreachable: exit 10 (unavailable) with one line naming the URL", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      const r = await run([
        "send",
        "--as",
        "alice",
        "--to",
        "alice",
        "hi",
        "--keys",
        s.keys,
        "--nats",
        "nats://127.0.0.1:1",
      ]);
      expect(r.code).toBe(exitCodeFor(ErrorCode.NatsUnavailable));
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/^plexus: cannot reach NATS at nats:\/\/127\.0\.0\.1:1: /);
    } finally {
      await reap();
    }
  });

  it("--help and --version exit 0", async () => {
    const { run, reap } = cli();
    try {
      const all = await run(["--help"]);
      expect(all.code).toBe(0);
      for (const cmd of ["up", "keys", "send", "listen", "publish", "subscribe", "rejected"])
        expect(all.stdout).toContain(`plexus ${cmd}`);
      const one = await run(["subscribe", "--help"]);
      expect(one.code).toBe(0);
      expect(one.stdout).toContain("Usage: plexus subscribe --as NAME TOPIC");
      expect(one.stdout).toContain("--group G");
      const version = await run(["--version"]);
      expect(version.code).toBe(0);
      expect(version.stdout).toMatch(/^plexus \d+\.\d+\.\d+/);
      // -v too (as most tools read it), not a usage error.
      expect(await run(["-v"])).toMatchObject({ code: 0, stdout: version.stdout });
      // A subcommand's --help is about that subcommand, not the parent's whole help.
      const keysNew = await run(["keys", "new", "--help"]);
      expect(keysNew.code).toBe(0);
      expect(keysNew.stdout).toMatch(/^Usage: plexus keys new NAME\n/);
      expect(keysNew.stdout).not.toContain("keys split");
      const verify = await run(["audit", "verify", "--help"]);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(/^Usage: plexus audit verify \[--from N\]/);
      expect(verify.stdout).toContain("recompute the chain from the raw log");
      expect(verify.stdout).not.toMatch(/^\s+(witness|export|check-proof)\s{2,}/m);
      // No such subcommand: the command's whole help, as before.
      expect((await run(["keys", "nosuch", "--help"])).stdout).toContain("keys split");
    } finally {
      await reap();
    }
  });

  it("rejected --json: a clear error for a mesh that does not exist, total 0 on a fresh mesh, then the refused envelope with its reason", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      const missing = await run(s.args("rejected", "--json"));
      expect(missing.code).toBe(exitCodeFor(ErrorCode.MeshNotFound));
      expect(missing.stderr.trim().split("\n")).toHaveLength(1);
      expect(JSON.parse(missing.stderr)).toMatchObject({
        error: { code: ErrorCode.MeshNotFound, message: expect.stringContaining(`no mesh "${s.mesh}"`) },
      });

      // An agent that listens once creates the mesh's stream.
      const bobDid = (await run(["keys", "new", "bob", "--keys", s.keys])).stdout.trim();
      expect((await run(s.args("listen", "--as", "bob", "--timeout", "0.3"))).code).toBe(0);
      const fresh = await run(s.args("rejected", "--json"));
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(JSON.parse(fresh.stdout)).toEqual({ total: 0, byReason: {}, records: [], invalid: [] });

      // A forged message straight onto bob's inbox subject: bob's reader refuses and records it.
      const token = bobDid.slice("did:key:".length);
      const nc = await connectBus({ servers: nats.url });
      try {
        await nc.request(`plexus.${s.mesh}.acp.inbox.${token}.${token}`, new TextEncoder().encode("not json {"), {
          timeout: 5_000,
        });
      } finally {
        await nc.close();
      }
      const listened = await run(s.args("listen", "--as", "bob", "--timeout", "1.5"));
      expect(listened.code, listened.stderr).toBe(0);
      expect(listened.stdout).toBe("");

      const after = await run(s.args("rejected", "--json"));
      const report = JSON.parse(after.stdout) as {
        total: number;
        byReason: Record<string, number>;
        records: { reason: string; consumer: string }[];
      };
      expect(report.total).toBe(1);
      expect(report.byReason).toEqual({ malformed_json: 1 });
      expect(report.records[0]).toMatchObject({ reason: "malformed_json", consumer: bobDid });
      const human = await run(s.args("rejected"));
      expect(human.stdout).toContain("malformed_json");
    } finally {
      await reap();
    }
  });

  it("up: starts nats-server and the audit sealer, prints its URL, serves clients; SIGINT stops it and exits 0", async () => {
    const s = scope();
    const data = fresh("data");
    const port = await freePort();
    const { run, start, reap } = cli();
    let serverPid = 0;
    try {
      // --no-auth: an open server, which this test's raw clients reach without credentials (operator-cli.test.ts has
      // up in its default operator mode).
      const up = start([
        "up",
        "--no-auth",
        "--data",
        data,
        "--nats-port",
        String(port),
        "--mesh",
        s.mesh,
        "--keys",
        s.keys,
        "--http",
        "127.0.0.1:0",
        "--json",
      ]);
      await up.waitFor("\n", 20_000, "stdout");
      const info = JSON.parse(up.stdout()) as {
        nats: string;
        mesh: string;
        stream: string;
        data: string;
        pid: number;
        registry: string;
        http: string;
      };
      expect(info).toMatchObject({
        nats: `nats://127.0.0.1:${port}`,
        mesh: s.mesh,
        stream: `PLEXUS_${s.mesh.toUpperCase()}`,
        data,
      });
      serverPid = info.pid;
      expect(alive(serverPid)).toBe(true);
      expect((await stat(data)).isDirectory()).toBe(true);

      // The registry key that signs audit checkpoints and runs the registry node was created in --keys.
      expect(info.registry).toBe((await new KeyStore(s.keys).load("registry")).did);
      const ready = await fetch(`${info.http}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        data: { registry: info.registry, mesh: s.mesh, ready: true },
        asOf: { seq: expect.any(Number), at: expect.any(Number) },
      });

      // What an agent sends is sealed into the audit chain by the sealer `up` runs.
      const nc = await connectBus({ servers: info.nats });
      const agent = await Agent.connect({ key: generateKeyPair(), nats: nc, mesh: s.mesh });
      await agent.send(agent.did, "to myself");
      const audit = await openJetStreamAuditStore({ nc, mesh: s.mesh });
      const deadline = Date.now() + 10_000;
      while ((await audit.head()).size < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await audit.head()).size).toBeGreaterThanOrEqual(1);
      await agent.close();
      await nc.close();

      // A second `up` on the same port: a clear error pointing at --nats-port.
      const clash = await run(["up", "--data", fresh("data"), "--nats-port", String(port), "--keys", s.keys]);
      expect(clash.code).toBe(1);
      expect(lines(clash.stderr)).toHaveLength(1);
      expect(clash.stderr).toContain("--nats-port");

      up.child.kill("SIGINT");
      const done = await up.exited;
      expect(done.code, done.stderr).toBe(0);
      expect(alive(serverPid)).toBe(false);
    } finally {
      await reap();
      if (serverPid && alive(serverPid)) process.kill(serverPid, "SIGKILL");
    }
  });
});
