import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Agent, Delivery } from "@plexus/sdk";
import { generateKeyPair } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { SNAPSHOT_FILE } from "../src/projection/index.js";
import type { RegistryNode } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Slow clocks so that liveness and the query clock stand still while answers are compared. */
const STILL = { heartbeatIntervalMs: 60_000, clockStepMs: 3_600_000 };

async function activity(agents: Agent[], round: number): Promise<void> {
  for (const [i, a] of agents.entries()) {
    const b = agents[(i + 1) % agents.length]!;
    const conversation = `c-${round}-${i}`;
    const sent = await a.send(b.did, { round }, { conversation });
    await b.reply({ from: a.did, id: sent.id, conversation } as Delivery, { ok: true });
    await a.rate({ ratee: b.did, conversation, score: (i % 3) / 2 });
  }
}

/** Everything a client can ask, from one node. */
function answers(node: RegistryNode, dids: string[]) {
  const q = node.queries;
  return {
    agents: q.agents({ all: true }),
    discover: q.discover({ capability: "echo", limit: 50 }),
    text: q.discover({ q: "helpful agent", includeOffline: true }),
    reputation: dids.map((d) => q.reputation(d)),
  };
}

async function settled(nodes: RegistryNode[]): Promise<void> {
  await until(() => new Set(nodes.map((n) => n.state.seq)).size === 1, 10_000, "nodes at the same log position");
}

describe("several registry nodes", () => {
  it("answer identically, share the query load, and a restarted or late node answers as before", async () => {
    const mesh = freshMesh();
    const dir = await mkdtemp(join(tmpdir(), "plexus-registry-"));
    dirs.push(dir);
    const a = await kit.node(mesh, { ...STILL, dataDir: dir });
    const b = await kit.node(mesh, STILL);
    const agents = await Promise.all(Array.from({ length: 6 }, () => kit.agent(mesh)));
    await Promise.all(
      agents.map((x, i) =>
        x.join(card(`agent-${i}`, ["echo"], { description: i % 2 ? "a helpful agent" : "a terse agent" })),
      ),
    );
    await activity(agents, 1);
    // The log position the snapshot holds (the node goes on following the log once it is written).
    const snapshotSeq = await a.snapshot();
    await copyFile(join(dir, SNAPSHOT_FILE), join(dir, "mid.jsonl"));
    await activity(agents, 2);
    await agents[5]!.leave();
    for (const x of agents) x.stopHeartbeats();
    await settled([a, b]);

    const dids = agents.map((x) => x.did);
    const before = answers(a, dids);
    expect(before.discover.result.length).toBe(5);
    expect(before.reputation[1]!.result.factors.quality.evidence).toBe(2);
    expect(answers(b, dids)).toEqual(before);

    // Both nodes serve the queue group: many requests land on both.
    const served = (n: RegistryNode) => n.status().counters["requests.discover"] ?? 0;
    const [a0, b0] = [served(a), served(b)];
    await Promise.all(Array.from({ length: 40 }, () => agents[0]!.discover({ capability: "echo" })));
    expect(served(a) - a0).toBeGreaterThan(0);
    expect(served(b) - b0).toBeGreaterThan(0);
    expect(served(a) - a0 + served(b) - b0).toBe(40);

    // Node a stops; it restarts from the mid-way snapshot and replays only the tail.
    await a.stop();
    kit.forget(a);
    await copyFile(join(dir, "mid.jsonl"), join(dir, SNAPSHOT_FILE));
    const restarted = await kit.node(mesh, { ...STILL, dataDir: dir });
    expect(restarted.status().rebuild).toMatchObject({ fromSnapshot: true, snapshotSeq });
    expect(restarted.status().rebuild.events).toBe(b.state.seq - snapshotSeq);
    // A node started now, without any snapshot, replays the whole log.
    const late = await kit.node(mesh, STILL);
    expect(late.status().rebuild).toMatchObject({ fromSnapshot: false, events: b.state.seq });
    await settled([restarted, late, b]);
    expect(answers(restarted, dids)).toEqual(before);
    expect(answers(late, dids)).toEqual(before);

    // A snapshot cut short (a crash mid-copy, a full disk) is refused; the node replays the whole log instead.
    await restarted.stop();
    kit.forget(restarted);
    const text = await readFile(join(dir, SNAPSHOT_FILE), "utf8");
    await writeFile(join(dir, SNAPSHOT_FILE), `${text.split("\n").slice(0, -2).join("\n")}\n`);
    const logs: string[] = [];
    const again = await kit.node(mesh, { ...STILL, dataDir: dir, log: (l) => logs.push(l) });
    expect(again.status().rebuild).toMatchObject({ fromSnapshot: false, events: b.state.seq });
    expect(logs.join("\n")).toContain("cut short");
    expect(answers(again, dids)).toEqual(before);
  }, 60_000);

  it("nodes with different registry keys that trust each other's keys reach the same membership", async () => {
    const mesh = freshMesh();
    const [ka, kb] = [generateKeyPair(), generateKeyPair()];
    const a = await kit.node(mesh, { ...STILL, key: ka, trustedRegistries: [kb.did] });
    const b = await kit.node(mesh, { ...STILL, key: kb, trustedRegistries: [ka.did] });
    const agents = await Promise.all(Array.from({ length: 6 }, () => kit.agent(mesh)));
    await Promise.all(agents.map((x, i) => x.join(card(`agent-${i}`))));
    await settled([a, b]);
    // The queue group spread the joins over both nodes, and each applied the other's events.
    const byA = a.status().counters["accepted.join"] ?? 0;
    const byB = b.status().counters["accepted.join"] ?? 0;
    expect(byA + byB).toBe(6);
    for (const n of [a, b])
      expect(
        n.queries
          .agents()
          .result.map((x) => x.did)
          .sort(),
      ).toEqual(agents.map((x) => x.did).sort());
  });
});
