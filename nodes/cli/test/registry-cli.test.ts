/**
 * The registry commands as users run them: `plexus registry start`, `agent join`, `agents`, `discover`, `rate`,
 * `reputation` and the registry `plexus up` now runs, as child processes against a real nats-server.
 */
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, firstJson, json, lines, runHere } from "./cli-process.js";

const nats = useTestServer();

const { scope } = cliScopes("reg", () => nats.url);

async function writeCard(dir: string, name: string, card: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.card.json`);
  await writeFile(file, JSON.stringify(card));
  return file;
}

function listen(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once("error", rej);
    server.listen(0, host, () => {
      const address = server.address();
      res({ server, port: typeof address === "object" && address ? address.port : 0 });
    });
  });
}

interface AgentJson {
  did: string;
  name: string;
  liveness: string;
  capabilities: string[];
}
interface DiscoverJson extends AgentJson {
  score: number;
  rank: number;
  factors: Record<string, { value: number; evidence: number }>;
}

describe("plexus registry commands", { timeout: 120_000 }, () => {
  it("usage errors exit 2 with the usage line, before anything connects", async () => {
    const { run, reap } = cli();
    const off = ["--nats", "nats://127.0.0.1:1"];
    try {
      const cases: [string[], string][] = [
        [
          ["rate", "--as", "bob", "alice", "--conversation", "c-1", "--score", "2"],
          "--score must be a number from 0 to 1",
        ],
        [
          ["rate", "--as", "bob", "alice", "--conversation", "c-1", "--score", "-0.5"],
          "--score must be a number from 0 to 1",
        ],
        [["rate", "alice", "--conversation", "c-1", "--score", "0.5"], "missing --as NAME"],
        [["rate", "--as", "bob", "--conversation", "c-1", "--score", "0.5"], "missing AGENT"],
        [["rate", "--as", "bob", "alice", "--score", "0.5"], "missing --conversation"],
        [["rate", "--as", "bob", "alice", "--conversation", "c-1"], "missing --score"],
        [["rate", "--as", "bob", "alice", "--conversation", "c 1", "--score", "1"], "--conversation"],
        [
          ["rate", "--as", "bob", "alice", "--conversation", "c-1", "--score", "1", "--factor", "charm"],
          "--factor must be one of",
        ],
        [["agent", "join", "--card", "x.json"], "missing --as NAME"],
        [["agent", "join", "--as", "alice"], "missing --card FILE"],
        [["agent", "join", "--as", "alice", "--card", "x.json", "--heartbeat", "0.01"], "--heartbeat must be at least"],
        [["agent", "join", "--as", "alice", "--card", "x.json", "--heartbeat", "soon"], "--heartbeat"],
        [["agent"], "missing a subcommand: join"],
        [["agent", "leave", "--as", "alice"], 'unknown subcommand "leave"'],
        [["registry"], "missing a subcommand: start"],
        [["registry", "start", "--http", "7420"], "--http must be HOST:PORT"],
        [["registry", "start", "--suspect-after", "0"], "--suspect-after must be a number of seconds > 0"],
        [["registry", "start", "--half-life", "a week"], "--half-life must be a number of seconds"],
        [["registry", "start", "--http", "127.0.0.1:70000"], "--http must be HOST:PORT"],
        [["registry", "start", "--registry-key", "../x"], "--registry-key"],
        [["registry", "start", "--public-url", "localhost:7421"], "--public-url must be an http(s) URL"],
        [["registry", "start", "--public-url", "http://*.example.com:7421"], "--public-url must be an http(s) URL"],
        [["registry", "start", "--public-url", "http://u:p@localhost:7421"], "--public-url must be an http(s) URL"],
        [["registry", "start", "--max-lag-events", "many"], "--max-lag-events must be a whole number ≥ 0"],
        [["registry", "start", "--max-lag-seconds", "-1"], "--max-lag-seconds must be a number of seconds > 0"],
        [["discover", "--min-score", "1.5"], "--min-score must be a number from 0 to 1"],
        [["discover", "--limit", "0"], "--limit must be a whole number from 1 to 1000"],
        [["discover", "--capability", ""], "--capability must not be empty"],
        [["discover", "--bogus"], "unknown option --bogus"],
        [["agents", "extra"], 'unexpected argument "extra"'],
        [["reputation"], "missing AGENT"],
        [["up", "--http", "localhost"], "--http must be HOST:PORT"],
      ];
      for (const [args, message] of cases) {
        const r = await runHere([...args, ...off]);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
        expect(r.stderr, args.join(" ")).toContain(message);
        expect(r.stderr, args.join(" ")).toContain(`usage: plexus ${args[0]}`);
      }
      // A malformed DID is invalid input (as an unknown key name is), not a usage error.
      const badDid = await runHere([
        "rate",
        "--as",
        "bob",
        "did:key:nonsense",
        "--conversation",
        "c-1",
        "--score",
        "1",
        ...off,
      ]);
      expect(badDid.code, badDid.stderr).toBe(exitCodeFor(ErrorCode.InvalidDid));
      expect(badDid.stderr).toContain("AGENT:");
      const help = await runHere(["--help"]);
      for (const cmd of ["registry start", "agent join", "agents", "discover", "rate", "reputation"])
        expect(help.stdout).toContain(`plexus ${cmd}`);
      // And as a process: the exit status itself.
      const [score, join] = await Promise.all([
        run(["rate", "--as", "bob", "alice", "--conversation", "c-1", "--score", "2", ...off]),
        run(["agent", "join", "--card", "x.json", ...off]),
      ]);
      expect([score.code, join.code]).toEqual([2, 2]);
      expect(score.stderr).toContain("--score must be a number from 0 to 1");
    } finally {
      await reap();
    }
  });

  it("agent join: a missing card file, a file that is not JSON, and an invalid card exit 6 (invalid input) with one line", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      await run(["keys", "new", "alice", "--keys", s.keys]);
      const missing = await run(s.args("agent", "join", "--as", "alice", "--card", join(s.dir, "nope.json")));
      expect(missing.code).toBe(6); // INVALID_ARGUMENT
      expect(lines(missing.stderr)).toEqual([`plexus: --card ${join(s.dir, "nope.json")}: no such file`]);
      const notJson = join(s.dir, "bad.json");
      await writeFile(notJson, "{ name: alice");
      const bad = await run(s.args("agent", "join", "--as", "alice", "--card", notJson));
      expect(bad.code).toBe(6);
      expect(lines(bad.stderr)).toHaveLength(1);
      expect(bad.stderr).toContain("is not valid JSON");
      const invalid = await writeCard(s.dir, "invalid", {
        name: "alice",
        description: "x",
        version: "1",
        capabilities: [],
      });
      const refused = await run(s.args("agent", "join", "--as", "alice", "--card", invalid));
      expect(refused.code).toBe(6);
      expect(lines(refused.stderr)).toHaveLength(1);
      expect(refused.stderr).toContain("is not a valid agent card");
    } finally {
      await reap();
    }
  });

  it("no registry answering: exit 10 (unavailable) with one line saying how to start one", async () => {
    const s = scope();
    const { run, reap } = cli();
    try {
      for (const args of [
        ["agents"],
        ["discover", "--capability", "x"],
        ["reputation", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"],
      ]) {
        const r = await run(s.args(...args));
        expect(r.code, r.stderr).toBe(exitCodeFor(ErrorCode.RegistryUnavailable));
        expect(lines(r.stderr)).toEqual([
          `plexus: no registry node answered on mesh "${s.mesh}" at ${nats.url}; start one with "plexus up" or "plexus registry start"`,
        ]);
      }
    } finally {
      await reap();
    }
  });

  it("registry start, agent join, agents, discover, rate, reputation; SIGTERM makes the agent leave", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      for (const name of ["alice", "bob", "carol"])
        expect((await run(["keys", "new", name, "--keys", s.keys])).code).toBe(0);
      const registry = start(
        s.args(
          "registry",
          "start",
          "--http",
          "127.0.0.1:0",
          "--data",
          join(s.dir, "snapshots"),
          "--max-lag-events",
          "100000",
          "--max-lag-seconds",
          "0",
          "--json",
        ),
      );
      const node = await firstJson<{ registry: string; mesh: string; http: string; subjects: Record<string, string> }>(
        registry,
      );
      expect(node).toMatchObject({ mesh: s.mesh, subjects: { service: `plexus-registry.${s.mesh}.>` } });
      expect(node.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(node.http).not.toBe("http://127.0.0.1:0");
      expect(node.registry).toMatch(/^did:key:z6Mk/);
      const ready = await fetch(`${node.http}/readyz`);
      expect(ready.status).toBe(200);
      // The follower's lag: nothing behind the log's end.
      expect(((await ready.json()) as { data: { lag: Record<string, number> } }).data.lag).toMatchObject({
        events: 0,
        seconds: 0,
      });

      const aliceCard = await writeCard(s.dir, "alice", {
        name: "alice",
        description: "translates text between languages",
        version: "1.0.0",
        capabilities: [{ name: "translate" }],
        tags: ["nlp"],
      });
      const bobCard = await writeCard(s.dir, "bob", {
        name: "bob",
        description: "summarises documents",
        version: "0.2.0",
        capabilities: [{ name: "summarise" }, { name: "translate" }],
      });
      const alice = start(
        s.args("agent", "join", "--as", "alice", "--card", aliceCard, "--heartbeat", "0.5", "--json"),
      );
      const bob = start(s.args("agent", "join", "--as", "bob", "--card", bobCard));
      const joined = await firstJson<Record<string, unknown> & { did: string; heartbeat: Record<string, unknown> }>(
        alice,
      );
      expect(joined).toMatchObject({
        registry: node.registry,
        heartbeat: { intervalMs: expect.any(Number), bucket: expect.any(String) },
      });
      expect(Object.keys(joined).sort()).toEqual([
        "credential",
        "credentialId",
        "did",
        "expiresAt",
        "heartbeat",
        "registry",
        "seq",
      ]);
      expect(joined.heartbeat).not.toHaveProperty("key");
      await bob.waitFor("Ctrl-C to leave");
      // Human output: the DID, then the credential's id and expiry.
      expect(bob.stdout()).toMatch(/^did:key:z6Mk\S+\ncredential \S+, expires \d{4}-\d\d-\d\dT\S+Z\n$/);
      const bobDid = lines(bob.stdout())[0] as string;

      const agents = await run(s.args("agents", "--json"));
      expect(agents.code, agents.stderr).toBe(0);
      const listed = json<AgentJson[]>(agents);
      expect(listed.map((a) => a.name).sort()).toEqual(["alice", "bob"]);
      expect(listed.find((a) => a.name === "alice")).toMatchObject({
        did: joined.did,
        liveness: "alive",
        capabilities: ["translate"],
      });
      const human = await run(s.args("agents"));
      expect(lines(human.stdout)[0]).toMatch(/^DID\s+NAME\s+LIVENESS\s+CAPABILITIES$/);
      expect(human.stdout).toMatch(/did:key:z6Mk\S+…\S+\s+bob\s+alive\s+summarise,translate/);

      const found = await run(s.args("discover", "--json", "--capability", "translate"));
      expect(found.code, found.stderr).toBe(0);
      const results = json<DiscoverJson[]>(found);
      expect(lines(found.stdout)).toHaveLength(1);
      expect(results.map((r) => r.name).sort()).toEqual(["alice", "bob"]);
      for (const r of results)
        expect(Object.keys(r)).toEqual(
          expect.arrayContaining(["did", "name", "capabilities", "score", "factors", "liveness"]),
        );
      expect(results.map((r) => r.rank)).toEqual([...results.map((r) => r.rank)].sort((a, b) => b - a));
      const onlyBob = json<DiscoverJson[]>(
        await run(s.args("discover", "--json", "--capability", "summarise", "--limit", "5")),
      );
      expect(onlyBob.map((r) => r.did)).toEqual([bobDid]);
      expect(json<DiscoverJson[]>(await run(s.args("discover", "--json", "--capability", "juggle")))).toEqual([]);
      const humanFound = await run(s.args("discover", "--query", "documents"));
      expect(lines(humanFound.stdout)[0]).toMatch(/^DID\s+NAME\s+LIVENESS\s+SCORE\s+TRUST\s+EVIDENCE\s+CAPABILITIES$/);
      // No trust anchor on this mesh: every row and a closing note say so.
      expect(lines(humanFound.stdout)[1]).toMatch(/\sunanchored\s/);
      expect(humanFound.stdout).toContain("plexus trust add");

      // A rating needs a conversation both ways; without one the registry refuses and says why.
      const noConversation = await run(
        s.args("rate", "--as", "bob", "alice", "--conversation", "never", "--score", "0.9"),
      );
      expect(noConversation.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(lines(noConversation.stderr)).toHaveLength(1);
      expect(noConversation.stderr).toContain("no_conversation");
      expect(
        (await run(s.args("rate", "--as", "bob", "bob", "--conversation", "c-1", "--score", "0.9"))).stderr,
      ).toContain("self_rating");
      expect(
        (await run(s.args("send", "--as", "bob", "--to", "alice", '{"task":"translate"}', "--conversation", "c-1")))
          .code,
      ).toBe(0);
      expect(
        (await run(s.args("send", "--as", "alice", "--to", "bob", '{"done":true}', "--conversation", "c-1"))).code,
      ).toBe(0);
      // The registry applies the log up to its end before it checks the conversation: no wait needed.
      const rated = await run(
        s.args(
          "rate",
          "--as",
          "bob",
          "alice",
          "--conversation",
          "c-1",
          "--score",
          "0.9",
          "--factor",
          "reliability",
          "--comment",
          "quick",
          "--json",
        ),
      );
      expect(rated.code, rated.stderr).toBe(0);
      expect(json<Record<string, unknown>>(rated)).toMatchObject({
        ratee: joined.did,
        conversation: "c-1",
        score: 0.9,
        factor: "reliability",
        seq: expect.any(Number),
      });

      const reputation = await run(s.args("reputation", "alice", "--json"));
      expect(reputation.code, reputation.stderr).toBe(0);
      const rep = json<{
        did: string;
        score: number;
        factors: Record<string, { evidence: number }>;
        trust: number;
        newcomer: boolean;
      }>(reputation);
      expect(rep).toMatchObject({
        did: joined.did,
        score: expect.any(Number),
        trust: 0,
        newcomer: true,
        trustSource: "none",
        unanchored: true,
      });
      expect(rep.factors["reliability"]?.evidence).toBeGreaterThanOrEqual(1);
      const humanRep = await run(s.args("reputation", joined.did));
      expect(humanRep.stdout).toContain(`did         ${joined.did}`);
      expect(humanRep.stdout).toContain("trust       0.00 (none: no trusted rater has rated it)");
      expect(humanRep.stdout).toMatch(/^reliability\s+\d\.\d\d\s+\d+\s+\d+\.\d\d$/m);
      // carol has a key but never joined: the registry does not know her.
      const unknown = await run(s.args("reputation", "carol"));
      expect(unknown.code).toBe(exitCodeFor(ErrorCode.AgentNotFound));
      expect(lines(unknown.stderr)).toHaveLength(1);

      // The HTTP API serves the same view.
      const http = (await (await fetch(`${node.http}/v1/agents`)).json()) as { data: AgentJson[] };
      expect(http.data.map((a) => a.name).sort()).toEqual(["alice", "bob"]);

      // SIGTERM: alice leaves, closes and exits 0; the registry no longer lists her.
      alice.child.kill("SIGTERM");
      const left = await alice.exited;
      expect(left.code, left.stderr).toBe(0);
      expect(left.stderr).toContain('left mesh "');
      const after = json<AgentJson[]>(await run(s.args("agents", "--json")));
      expect(after.map((a) => a.name)).toEqual(["bob"]);

      bob.child.kill("SIGINT");
      expect((await bob.exited).code).toBe(0);
      registry.child.kill("SIGTERM");
      const stopped = await registry.exited;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stderr).toContain("registry node stopped");
    } finally {
      await reap();
    }
  });

  it("SIGKILL of a registry node process: restarted on the same data folder, it answers as before", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      for (const name of ["alice", "bob"]) expect((await run(["keys", "new", name, "--keys", s.keys])).code).toBe(0);
      const data = join(s.dir, "snapshots");
      const first = start(s.args("registry", "start", "--http", "127.0.0.1:0", "--data", data, "--json"));
      const before = await firstJson<{ http: string }>(first);
      const cards = await Promise.all(
        ["alice", "bob"].map((n) =>
          writeCard(s.dir, n, {
            name: n,
            description: `${n} the agent`,
            version: "1.0.0",
            capabilities: [{ name: "echo" }],
          }),
        ),
      );
      const joins = ["alice", "bob"].map((n, i) =>
        start(s.args("agent", "join", "--as", n, "--card", cards[i]!, "--heartbeat", "0.2")),
      );
      for (const j of joins) await j.waitFor("Ctrl-C to leave");
      const ask = async (http: string) => {
        const agents = (await (await fetch(`${http}/v1/agents`)).json()) as {
          data: { did: string; liveness: string; credential: unknown }[];
        };
        const found = (await (await fetch(`${http}/v1/discover?capability=echo`)).json()) as {
          data: { did: string; score: number }[];
        };
        return {
          agents: agents.data.map((a) => [a.did, a.liveness, a.credential]),
          found: found.data.map((r) => [r.did, r.score]),
        };
      };
      const answer = await ask(before.http);
      expect(answer.agents).toHaveLength(2);

      first.child.kill("SIGKILL");
      await first.exited;
      const second = start(s.args("registry", "start", "--http", "127.0.0.1:0", "--data", data, "--json"));
      const after = await firstJson<{ http: string }>(second);
      expect(await ask(after.http)).toEqual(answer);
    } finally {
      await reap();
    }
  });

  it("registry start on an HTTP port in use: exit 6 (invalid input) with one line pointing at --http", async () => {
    const s = scope();
    const { run, reap } = cli();
    const blocker = await listen("127.0.0.1");
    try {
      const r = await run(s.args("registry", "start", "--http", `127.0.0.1:${blocker.port}`, "--data", "off"));
      expect(r.code).toBe(exitCodeFor(ErrorCode.InvalidArgument));
      expect(lines(r.stderr).at(-1)).toBe(
        `plexus: HTTP port ${blocker.port} on 127.0.0.1 is already in use (another registry or plexus up?); choose another with --http HOST:PORT, or --http off`,
      );
    } finally {
      await new Promise((r) => blocker.server.close(r));
      await reap();
    }
  });

  it("up runs a registry node with the sealer's key and prints its URL; --no-registry runs none", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      // --no-auth: an open server (operator-cli.test.ts has up in its default operator mode).
      const up = start([
        "up",
        "--no-auth",
        "--data",
        join(s.dir, "data"),
        "--nats-port",
        "0",
        "--http",
        "127.0.0.1:0",
        "--mesh",
        s.mesh,
        "--keys",
        s.keys,
        "--json",
      ]);
      const info = await firstJson<{ nats: string; registry: string; http: string }>(up);
      expect(info.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const status = (
        (await (await fetch(`${info.http}/v1/status`)).json()) as { data: { registry: string; mesh: string } }
      ).data;
      expect(status).toMatchObject({ registry: info.registry, mesh: s.mesh });
      const agents = await run(["agents", "--json", "--nats", info.nats, "--mesh", s.mesh]);
      expect(agents.code, agents.stderr).toBe(0);
      expect(json<unknown[]>(agents)).toEqual([]);
      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);

      const bare = start([
        "up",
        "--no-auth",
        "--data",
        join(s.dir, "data2"),
        "--nats-port",
        "0",
        "--no-registry",
        "--mesh",
        s.mesh,
        "--keys",
        s.keys,
        "--json",
      ]);
      const bareInfo = await firstJson<{ nats: string; registry: string; http: string | null }>(bare);
      expect(bareInfo.http).toBeNull();
      expect(bareInfo.registry).toBe(info.registry);
      const none = await run(["agents", "--nats", bareInfo.nats, "--mesh", s.mesh]);
      expect(none.code).toBe(exitCodeFor(ErrorCode.RegistryUnavailable));
      expect(none.stderr).toContain("plexus registry start");
      bare.child.kill("SIGINT");
      expect((await bare.exited).code).toBe(0);
    } finally {
      await reap();
    }
  });
});
