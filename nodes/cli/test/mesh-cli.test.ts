/**
 * `plexus mesh create --replicas N` and `plexus mesh status` on a real 3-server JetStream cluster in operator mode (the
 * CLI as a child process; the registry node, its sealer and the A2A gateway in this process, as the service user):
 * - after `mesh create --replicas 3`, every stream of the mesh's account (listed from the account, so a stream or
 *   bucket someone adds later is caught too) keeps 3 replicas: those provisioning made and those the nodes and an
 *   agent (join, heartbeats, a group topic, a direct message) made after;
 * - a mesh provisioned with 1, with its nodes running, is brought to 3 by `mesh create --replicas 3`;
 * - more replicas than servers is REPLICAS_UNAVAILABLE (exit 6) and changes nothing;
 * - the registry's /v1/status and the sealer's status carry the replication they read at start.
 */
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { watchReplication } from "@plexus/bus";
import { meshStreamNames } from "@plexus/bus/internal";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { Agent } from "@plexus/sdk";
import { startGatewayProcess, startRegistryProcess, type NodeLog } from "@plexus/nodes";
import { startTestCluster, until, type TestCluster } from "@plexus/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, stderrJson } from "./cli-process.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ servers: 3, operator: true });
  await cluster.waitForQuorum();
}, 120_000);
afterAll(() => cluster?.cleanup(), 60_000);

const mesh = (name: string) => `${name}${process.pid}`;
const args = (m: string, ...a: string[]) => [
  ...a,
  "--nats",
  cluster.url,
  "--nats-auth",
  cluster.auth.authDir,
  "--mesh",
  m,
];

function collect(): NodeLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) };
}

/** Every stream of the mesh's account (operator mode: the mesh's account holds nothing else). */
async function accountStreams(nc: NatsConnection): Promise<StreamInfo[]> {
  const jsm = await jetstreamManager(nc);
  const out: StreamInfo[] = [];
  for await (const info of jsm.streams.list()) out.push(info);
  return out;
}

/** A registry node with its sealer and the gateway, as `plexus registry start` and `plexus gateway start` run them. */
async function startNodes(m: string, log: NodeLog) {
  const auth = await cluster.auth.mesh(m);
  const credentials = { creds: auth.serviceCreds };
  const registry = await startRegistryProcess({
    nats: cluster.urls,
    mesh: m,
    key: generateKeyPair(),
    http: { host: "127.0.0.1", port: 0 },
    dataDir: undefined,
    tuning: { natsAuth: auth },
    sealer: { credentials, historyDir: undefined },
    log,
  });
  const gateway = await startGatewayProcess({
    nats: cluster.urls,
    mesh: m,
    key: generateKeyPair(),
    http: { host: "127.0.0.1", port: 0 },
    credentials,
    log,
  });
  return {
    registry,
    async stop() {
      await gateway.stop();
      await registry.stop();
    },
  };
}

interface Created {
  replicas: number;
  changed: { name: string; from: number; to: number }[];
  replication: { asked: number; streams: { name: string; replicas: number }[] };
}

describe("plexus mesh on a 3-server cluster", { timeout: 240_000 }, () => {
  it("mesh create --replicas 3: every stream and bucket of the mesh, made by provisioning or by a node after it, keeps 3", async () => {
    const m = mesh("rthree");
    await cluster.auth.mesh(m);
    const { run, reap } = cli();
    const log = collect();
    let nodes: Awaited<ReturnType<typeof startNodes>> | undefined;
    let agent: Agent | undefined;
    const admin = await cluster.auth.connectAdmin(m);
    try {
      const created = await run(args(m, "mesh", "create", "--replicas", "3", "--json"), 60_000);
      expect(created.code, created.stderr).toBe(0);
      expect((JSON.parse(created.stdout) as Created).replicas).toBe(3);
      nodes = await startNodes(m, log);
      // An agent does what agents do (join, heartbeats, a group topic's registry-made durable, a direct message).
      const auth = await cluster.auth.mesh(m);
      const key = generateKeyPair();
      agent = await Agent.connect({
        key,
        nats: cluster.urls,
        mesh: m,
        natsAuth: { bootstrapCreds: auth.bootstrapCreds },
      });
      await agent.join({
        name: "replicated",
        description: "a test agent",
        version: "1.0.0",
        capabilities: [{ name: "echo", input: { type: "object" }, output: { type: "object" } }],
        tags: [],
      });
      const got: unknown[] = [];
      await agent.subscribe("news", async (d) => void got.push(d.body), { group: "readers" });
      await agent.publish("news", { n: 1 });
      await agent.send(key.did, { hello: true });
      await until(() => got.length === 1, 30_000, "the topic message");
      const streams = await accountStreams(admin);
      // Every stream Plexus makes for a mesh is there (the test is not vacuous), and nothing in the account is below 3.
      expect(streams.map((s) => s.config.name).sort()).toEqual([...meshStreamNames(m)].sort());
      for (const s of streams) expect(`${s.config.name} R${s.config.num_replicas}`).toBe(`${s.config.name} R3`);
      // The nodes report what they read at start.
      const status = (await (await fetch(`${nodes.registry.node.httpUrl}/v1/status`)).json()) as {
        data: { replication: { asked: number; streams: { name: string; replicas: number }[]; warnings: string[] } };
      };
      expect(status.data.replication.asked).toBe(3);
      expect(status.data.replication.streams.every((s) => s.replicas === 3)).toBe(true);
      expect(status.data.replication.warnings.filter((w) => w.includes("replicas the mesh asks for"))).toEqual([]);
      expect(nodes.registry.sealer?.status().replication?.asked).toBe(3);
      expect(log.lines.filter((l) => l.includes("replicas the mesh asks for"))).toEqual([]);
    } finally {
      await agent?.close();
      await nodes?.stop();
      await admin.close();
      await reap();
    }
  });

  it("a mesh provisioned with 1 and running is brought to 3; status shows every copy current; 5 on 3 servers is refused", async () => {
    const m = mesh("rone");
    await cluster.auth.mesh(m);
    const { run, reap } = cli();
    const log = collect();
    let nodes: Awaited<ReturnType<typeof startNodes>> | undefined;
    const admin = await cluster.auth.connectAdmin(m);
    try {
      expect((await run(args(m, "mesh", "create", "--replicas", "1", "--json"), 60_000)).code).toBe(0);
      nodes = await startNodes(m, log);
      const before = await accountStreams(admin);
      expect(before.map((s) => s.config.num_replicas)).toEqual(before.map(() => 1));

      const raised = await run(args(m, "mesh", "create", "--replicas", "3", "--json"), 120_000);
      expect(raised.code, raised.stderr).toBe(0);
      const done = JSON.parse(raised.stdout) as Created;
      // The nodes' streams and buckets (topic stream, sealers, A2A tasks) were updated, not only provisioning's.
      expect(done.changed.map((c) => c.name).sort()).toEqual([...meshStreamNames(m)].sort());
      for (const s of await accountStreams(admin))
        expect(`${s.config.name} R${s.config.num_replicas}`).toBe(`${s.config.name} R3`);

      // Status: asked 3, and once JetStream has copied the data, every copy of every stream current, no warning.
      let report:
        | { asked: number; source: string; streams: { replicas: number; current: number }[]; warnings: string[] }
        | undefined;
      await until(
        async () => {
          const r = await run(args(m, "mesh", "status", "--json"), 30_000);
          report = JSON.parse(r.stdout) as NonNullable<typeof report>;
          return report.warnings.length === 0;
        },
        60_000,
        "every replica current",
      );
      expect(report?.asked).toBe(3);
      expect(report?.source).toBe("metadata");
      expect(report?.streams.length).toBe(meshStreamNames(m).length);
      expect(report?.streams.every((s) => s.replicas === 3 && s.current === 3)).toBe(true);

      // Five replicas on three servers: a clear error with its exit code, and nothing changed.
      const five = await run(args(m, "mesh", "create", "--replicas", "5", "--json"), 60_000);
      expect(five.code).toBe(exitCodeFor(ErrorCode.ReplicasUnavailable));
      const error = stderrJson(five.stderr).find((l) => l["error"]) as { error: { code: string; message: string } };
      expect(error.error.code).toBe(ErrorCode.ReplicasUnavailable);
      expect(error.error.message).toMatch(/cannot keep 5 replicas of PLEXUS_.*fewer servers/);
      const after = JSON.parse((await run(args(m, "mesh", "status", "--json"), 30_000)).stdout) as typeof report;
      expect(after?.asked).toBe(3);
      expect(after?.streams.every((s) => s.replicas === 3)).toBe(true);
    } finally {
      await nodes?.stop();
      await admin.close();
      await reap();
    }
  });
});

describe("replication while a server is down", { timeout: 180_000 }, () => {
  it("mesh status and a node's watch say which copies are not current, and that they are again after the restart", async () => {
    const m = mesh("rdown");
    await cluster.auth.mesh(m);
    const { run, reap } = cli();
    const nc = await cluster.auth.connectService(m);
    const lines: string[] = [];
    try {
      expect((await run(args(m, "mesh", "create", "--replicas", "3", "--json"), 60_000)).code).toBe(0);
      const status = async () => {
        const r = await run(args(m, "mesh", "status", "--json"), 30_000);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { streams: { name: string; current: number }[]; warnings: string[] };
      };
      await until(async () => (await status()).warnings.length === 0, 60_000, "every copy current");
      const watch = await watchReplication({
        nc,
        mesh: m,
        intervalMs: 0,
        log: (level, l) => lines.push(`${level} ${l}`),
      });
      try {
        const down = cluster.servers.findIndex((s) => !cluster.url.startsWith(s.url));
        await cluster.servers[down]!.kill();
        let seen: Awaited<ReturnType<typeof status>> | undefined;
        await until(
          async () => {
            seen = await status();
            return seen.streams.every((s) => s.current < 3);
          },
          90_000,
          "every stream with a copy not current",
        );
        expect(seen?.warnings.length).toBe(seen?.streams.length);
        await watch.refresh();
        expect(lines.filter((l) => l.startsWith("warn replication: stream ")).length).toBe(seen?.streams.length);

        await cluster.servers[down]!.restart();
        await until(async () => (await status()).warnings.length === 0, 90_000, "every copy current again");
        await until(async () => (await watch.refresh())?.warnings.length === 0, 30_000, "the watch sees it too");
        // Every stream's warning was taken back (a stream may have passed through more than one, a leader election).
        for (const s of seen?.streams ?? [])
          expect(lines.some((l) => l.startsWith(`info replication: resolved: stream ${s.name} `))).toBe(true);
      } finally {
        watch.stop();
      }
    } finally {
      await nc.close();
      await reap();
    }
  });
});

describe("plexus mesh and up --replicas on one server", { timeout: 120_000 }, () => {
  it("up --replicas 2 is refused (REPLICAS_UNAVAILABLE, exit 6); mesh status of no mesh is MESH_NOT_FOUND; the human form", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plexus-mesh-cli-"));
    const { run, start, reap } = cli();
    try {
      const up = await run(
        [
          "up",
          "--replicas",
          "2",
          "--data",
          join(dir, "data"),
          "--nats-port",
          "0",
          "--nats-auth",
          join(dir, "auth"),
          "--no-registry",
          "--no-sealer",
          "--no-gateway",
          "--mesh",
          "solo",
          "--json",
        ],
        60_000,
      );
      expect(up.code, up.stderr).toBe(exitCodeFor(ErrorCode.ReplicasUnavailable));
      const refused = stderrJson(up.stderr).find((l) => l["error"]) as { error: { code: string; message: string } };
      expect(refused.error.code).toBe(ErrorCode.ReplicasUnavailable);
      expect(refused.error.message).toMatch(/not part of a JetStream cluster/);

      // One server running (open, as up --no-auth runs it): mesh status before and after mesh create.
      const server = start([
        "up",
        "--no-auth",
        "--data",
        join(dir, "open"),
        "--nats-port",
        "0",
        "--no-registry",
        "--no-sealer",
        "--no-gateway",
        "--mesh",
        "solo",
        "--json",
      ]);
      await server.waitFor("\n", 30_000, "stdout");
      const url = (JSON.parse(server.stdout().split("\n")[0] as string) as { nats: string }).nats;
      const common = ["--nats", url, "--nats-auth", "off", "--mesh", "other"];
      const missing = await run(["mesh", "status", ...common, "--json"]);
      expect(missing.code).toBe(exitCodeFor(ErrorCode.MeshNotFound));
      expect((await run(["mesh", "create", ...common])).code).toBe(0);
      const human = await run(["mesh", "status", ...common]);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/^replicas {2}1 asked \(the mesh's settings\)$/m);
      expect(human.stdout).toMatch(/^ {2}PLEXUS_OTHER +1 configured, 1 current, leader \S+$/m);
      expect(human.stdout).not.toMatch(/^warning/m);
      server.child.kill("SIGTERM"); // up stops its nats-server on SIGTERM (a SIGKILL would leave it running)
      expect((await server.exited).code).toBe(0);
    } finally {
      await reap();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
