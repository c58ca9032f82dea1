/**
 * `plexus trust add|remove|list` and `--trust-anchor` of `registry start` and `up`, as child processes against a real
 * nats-server: anchors configured at start are in the log, operators change them, others are refused.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, firstJson, json, lines, runHere } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("trust", () => nats.url);

interface AnchorJson {
  did: string;
  role: string;
  by: string;
  seq: number;
  reason?: string;
  member: boolean;
}

describe("plexus trust", { timeout: 120_000 }, () => {
  it("usage errors exit 2 with the usage line, before anything connects; --help explains the roles and the flag", async () => {
    const off = ["--nats", "nats://127.0.0.1:1"];
    const cases: [string[], string][] = [
      [["trust"], "missing a subcommand: add, remove or list"],
      [["trust", "grant", "alice"], 'unknown subcommand "grant"'],
      [["trust", "add"], "missing DID"],
      [["trust", "add", "alice", "bob"], 'unexpected argument "bob"'],
      [["trust", "add", "alice", "--role", "root"], "--role must be agent or issuer"],
      [["trust", "add", "alice", "--reason", "x".repeat(501)], "--reason must be at most 500 characters"],
      [["trust", "list", "--role", "agent"], "--role applies to trust add and remove"],
      [["trust", "list", "extra"], 'unexpected argument "extra"'],
    ];
    for (const [args, message] of cases) {
      const r = await runHere([...args, ...off]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(message);
      expect(r.stderr, args.join(" ")).toContain("usage: plexus trust");
    }
    // A malformed DID is invalid input (as an unknown key name is), not a usage error.
    const bad = await runHere(["trust", "remove", "did:key:nonsense", ...off]);
    expect(bad.code, bad.stderr).toBe(exitCodeFor(ErrorCode.InvalidDid));
    expect(bad.stderr).toContain("DID:");
    const help = await runHere(["trust", "--help"]);
    expect(help.stdout).toContain("--role agent|issuer");
    expect(help.stdout).toContain("plexus trust remove");
    expect((await runHere(["--help"])).stdout).toContain("plexus trust");
    expect((await runHere(["up", "--help"])).stdout).toContain("--trust-anchor DID");
  });

  it("registry start --trust-anchor records the anchor; an operator adds and removes anchors; others are refused", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      const dids: Record<string, string> = {};
      for (const name of ["ops", "alice", "bob", "mallory"]) {
        const made = await run(["keys", "new", name, "--keys", s.keys, "--json"]);
        expect(made.code, made.stderr).toBe(0);
        dids[name] = json<{ did: string }>(made).did;
      }
      const registry = start(
        s.args(
          "registry",
          "start",
          "--http",
          "off",
          "--data",
          "off",
          "--operator",
          "ops",
          "--trust-anchor",
          "alice",
          "--json",
        ),
      );
      const node = await firstJson<{ registry: string }>(registry);
      await registry.waitFor("Ctrl-C to stop");

      const configured = await run(s.args("trust", "list", "--json"));
      expect(configured.code, configured.stderr).toBe(0);
      expect(json<AnchorJson[]>(configured)).toEqual([
        {
          did: dids["alice"],
          role: "agent",
          by: node.registry,
          at: expect.any(Number),
          seq: expect.any(Number),
          reason: "configured at start (--trust-anchor)",
          member: false,
        },
      ]);

      const added = await run(
        s.args("trust", "add", "bob", "--role", "issuer", "--reason", "our certifier", "--as", "ops", "--json"),
      );
      expect(added.code, added.stderr).toBe(0);
      const answer = json<{ did: string; role: string; anchored: boolean; seq: number; by: string; reason: string }>(
        added,
      );
      expect(answer).toEqual({
        did: dids["bob"],
        role: "issuer",
        anchored: true,
        seq: expect.any(Number),
        by: dids["ops"],
        reason: "our certifier",
      });
      // Again: nothing new in the log, the same position.
      const again = await run(
        s.args("trust", "add", dids["bob"] as string, "--role", "issuer", "--as", "ops", "--json"),
      );
      expect(json<{ seq: number }>(again).seq).toBe(answer.seq);

      const refused = await run(s.args("trust", "add", "mallory", "--as", "mallory"));
      expect(refused.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(lines(refused.stderr)).toHaveLength(1);
      expect(refused.stderr).toContain("not_operator");

      const human = await run(s.args("trust", "list"));
      expect(human.code, human.stderr).toBe(0);
      const shown = lines(human.stdout);
      expect(shown).toHaveLength(2);
      expect(shown[0]).toMatch(
        new RegExp(`^${dids["alice"]}\\s+agent\\s+not a member\\s+added \\S+Z by did:key:\\S+: configured at start`),
      );
      expect(shown[1]).toMatch(
        new RegExp(`^${dids["bob"]}\\s+issuer\\s+not a member\\s+added \\S+Z by did:key:\\S+: our certifier$`),
      );

      // The registry's own key is an operator too (the default --as).
      const removed = await run(s.args("trust", "remove", "alice", "--reason", "left the project"));
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain(`${dids["alice"]} is no longer a trust anchor (agent)`);
      const absent = await run(s.args("trust", "remove", "alice"));
      expect(absent.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(absent.stderr).toContain("not a trust anchor");
      expect(json<AnchorJson[]>(await run(s.args("trust", "list", "--json"))).map((a) => a.did)).toEqual([dids["bob"]]);

      registry.child.kill("SIGTERM");
      expect((await registry.exited).code).toBe(0);
      // Restarted with the flag still given, the node adds alice again: the flag is what the operator asks for at start.
      const restarted = start(
        s.args(
          "registry",
          "start",
          "--http",
          "off",
          "--data",
          "off",
          "--operator",
          "ops",
          "--trust-anchor",
          "alice",
          "--json",
        ),
      );
      await restarted.waitFor("Ctrl-C to stop");
      expect(json<AnchorJson[]>(await run(s.args("trust", "list", "--json"))).map((a) => a.did)).toEqual([
        dids["bob"],
        dids["alice"],
      ]);
      restarted.child.kill("SIGTERM");
      expect((await restarted.exited).code).toBe(0);
    } finally {
      await reap();
    }
  });

  it("up --trust-anchor (operator mode): the anchor is in the log; trust add signs with the registry key over its own NATS user", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      const made = await run(["keys", "new", "alice", "--keys", s.keys, "--json"]);
      const alice = json<{ did: string }>(made).did;
      const up = start([
        "up",
        "--data",
        join(s.dir, "data"),
        "--nats-port",
        "0",
        "--http",
        "127.0.0.1:0",
        "--no-gateway",
        "--trust-anchor",
        "alice",
        "--mesh",
        s.mesh,
        "--keys",
        s.keys,
        "--json",
      ]);
      const info = await firstJson<{ nats: string; http: string; registry: string }>(up);
      const args = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", info.nats];
      const http = (await (await fetch(`${info.http}/v1/trust-anchors`)).json()) as { data: AnchorJson[] };
      expect(http.data).toEqual([expect.objectContaining({ did: alice, role: "agent", by: info.registry })]);
      const other = (await run(["keys", "new", "bob", "--keys", s.keys, "--json"])).stdout;
      const bob = (JSON.parse(other) as { did: string }).did;
      const added = await run(args("trust", "add", "bob", "--json"), 30_000);
      expect(added.code, added.stderr).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ did: bob, anchored: true, by: info.registry });
      const listed = await run(args("trust", "list", "--json"), 30_000);
      expect(listed.code, listed.stderr).toBe(0);
      expect(json<AnchorJson[]>(listed).map((a) => a.did)).toEqual([alice, bob]);
      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);
    } finally {
      await reap();
    }
  });
});
