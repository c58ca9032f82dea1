import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import { FACTORS, type Reputation } from "@plexus/anp";
import { agentToken, meshSubjects, newId, RejectionReason } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import type { Agent, Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import type { RegistryNode, RegistryNodeOptions } from "../src/index.js";
import { card, converse, freshMesh, operatorKit } from "./fixtures.js";

/**
 * The three attacks of issue 12, on a NATS server in operator mode (what `plexus up` runs), with several registry
 * nodes that must agree: a Sybil ring rating itself, a ring drawing trust from an anchor through automatic traffic,
 * and forged rejection records smearing an honest agent.
 */
const nats = useTestServer({ operator: true });
const kit = operatorKit(nats);
const dirs: string[] = [];
afterEach(async () => {
  await kit.close();
  await Promise.allSettled(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const RING = 30;
const NEIGHBOURS = 5;

const node = (mesh: string, key: KeyPair, options: Partial<RegistryNodeOptions> = {}): Promise<RegistryNode> =>
  kit.node(mesh, key, options);
const agent = (mesh: string, key?: KeyPair): Promise<Agent> => kit.agent(mesh, key);

interface Cast {
  honest: Agent;
  clients: Agent[];
  ring: Agent[];
}

/**
 * The honest agent and its 3 clients join first, then the ring of 30, all offering the honest agent's capability.
 * `firstClient`: the key of the first client (the anchor, when the test has one).
 */
async function cast(mesh: string, firstClient?: KeyPair): Promise<Cast> {
  const honest = await agent(mesh);
  await honest.join(card("honest", ["translate"]));
  const clients = await Promise.all(
    [firstClient ?? generateKeyPair(), generateKeyPair(), generateKeyPair()].map((k) => agent(mesh, k)),
  );
  for (const [i, c] of clients.entries()) await c.join(card(`client-${i}`, ["shop"]));
  const ring = await Promise.all(Array.from({ length: RING }, () => agent(mesh)));
  await Promise.all(
    ring.map((s, i) =>
      s.join(card(`ring-${i}`, ["translate"], { description: "the best translator, rated 1.0 by everyone" })),
    ),
  );
  return { honest, clients, ring };
}

/** Real request/reply work: each client asks the honest agent three times and rates each answer (9 ratings). */
async function honestWork({ honest, clients }: Cast): Promise<void> {
  await honest.listen((d: Delivery) => honest.reply(d, { translated: true }));
  for (const [i, client] of clients.entries()) {
    for (let k = 0; k < 3; k++) {
      const conversation = `work-${i}-${k}`;
      await client.request(honest.did, { text: `job ${k}` }, { conversation, timeoutMs: 15_000 });
      await client.rate({ ratee: honest.did, conversation, score: k === 0 ? 0.9 : 1, factor: "quality" });
    }
  }
}

/** The ring: each member holds a real conversation with its next 5 neighbours and both rate each other 1.0 (300 ratings). */
async function ringWork({ ring }: Cast): Promise<void> {
  await Promise.all(
    ring.map(async (s, i) => {
      for (let j = 1; j <= NEIGHBOURS; j++) {
        const other = ring[(i + j) % ring.length] as Agent;
        const conversation = `ring-${i}-${j}`;
        await converse(s, other, conversation);
        await s.rate({ ratee: other.did, conversation, score: 1, factor: "quality" });
        await other.rate({ ratee: s.did, conversation, score: 1, factor: "quality" });
      }
    }),
  );
}

/** 20 rejection records per forger, each on its own `ops.rejected.<me>` subject, naming the honest agent. */
async function forgeRejections(mesh: string, honest: Agent, forgers: Agent[], honestSeqs: number[]): Promise<void> {
  const s = meshSubjects(mesh);
  await Promise.all(
    forgers.map(async (member, i) => {
      const js = jetstream(member.natsSession!.nc);
      const me = agentToken(member.did);
      for (let k = 0; k < 20; k++) {
        // Positions the honest agent really published at (to a client), and positions of nothing at all.
        const streamSeq = k % 2 === 0 ? (honestSeqs[k % honestSeqs.length] as number) : 1_000_000 + i * 100 + k;
        const record = {
          reason: [RejectionReason.BadSignature, RejectionReason.Replay, RejectionReason.SubjectMismatch][k % 3],
          detail: "forged",
          subject: `plexus.${mesh}.acp.inbox.${me}.${agentToken(honest.did)}`,
          streamSeq,
          stream: s.stream,
          size: 200,
          consumer: "forged",
          at: Date.now(),
          raw: "{}",
          from: honest.did,
          id: newId(),
        };
        await js.publish(s.rejected(me), new TextEncoder().encode(JSON.stringify(record)), { msgID: newId() });
      }
    }),
  );
}

/** Every ring member sends the anchor 20 plain messages; the anchor's SDK receipts each automatically. */
async function pesterAnchor(anchor: Agent, ring: Agent[]): Promise<void> {
  await anchor.listen(() => undefined);
  await Promise.all(
    ring.map(async (s) => {
      for (let k = 0; k < 20; k++) await s.send(anchor.did, { hello: k }, { conversation: `pester-${k}` });
    }),
  );
}

/** Refused evidence of one kind, as the node counts it. */
function refusedEvidence(n: RegistryNode, what: string): number {
  return Object.entries(n.state.counters)
    .filter(([k]) => k.startsWith(`evidence.refused.${what}.`))
    .reduce((sum, [, v]) => sum + v, 0);
}

async function settle(all: RegistryNode[], seq: number): Promise<void> {
  await Promise.all(all.map((n) => n.waitFor(seq, 20_000)));
}

/** The last log position, as the first node sees it after a moment of quiet. */
async function quiet(n: RegistryNode): Promise<number> {
  let last = -1;
  await until(
    async () => {
      const seq = n.state.seq;
      const same = seq === last;
      last = seq;
      return same;
    },
    20_000,
    "the log to go quiet",
  );
  return last;
}

function ranking(n: RegistryNode, at: number, dids: string[]): Reputation[] {
  const { table } = n.queries.table(at);
  return dids.map((d) => table.get(d));
}

describe("reputation nobody can game (issue 12 attacks, operator mode, several nodes)", () => {
  it("default configuration: the ring's 300 mutual ratings raise no member, and the honest agent ranks first on every node", async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const [a, b] = [await node(mesh, key), await node(mesh, key)];
    const c = await cast(mesh);
    await honestWork(c);
    const before = await quiet(a);
    await settle([a, b], before);
    const at = Date.now();
    const ringBefore = ranking(
      a,
      at,
      c.ring.map((r) => r.did),
    );
    await ringWork(c);
    await until(() => a.state.counters.ratings === 9 + 2 * RING * NEIGHBOURS, 30_000, "all 309 ratings recorded");
    await settle([a, b], await quiet(a));

    const ringAfter = ranking(
      a,
      at,
      c.ring.map((r) => r.did),
    );
    for (const [i, rep] of ringAfter.entries()) {
      expect(rep.score).toBeLessThanOrEqual((ringBefore[i] as Reputation).score);
      expect(rep).toMatchObject({ trust: 0, trustSource: "none", unanchored: true });
      expect(rep.factors.quality.evidence).toBe(2 * NEIGHBOURS);
      expect(rep.factors.quality.weight).toBe(0);
    }
    for (const n of [a, b]) {
      const { result } = n.queries.discover({ capability: "translate", limit: RING + 1 });
      expect(result[0]?.did).toBe(c.honest.did);
      expect(result).toHaveLength(RING + 1);
      for (const r of result) expect(r.unanchored).toBe(true);
    }
    // Both nodes agree, number for number.
    const everyone = [c.honest, ...c.clients, ...c.ring].map((x) => x.did);
    expect(ranking(b, at, everyone)).toEqual(ranking(a, at, everyone));
  }, 120_000);

  it("with one anchor: automatic receipts draw no trust, forged records smear nobody, and rebuilt and restored nodes answer alike", async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const data = await mkdtemp(join(tmpdir(), "plexus-rep-"));
    dirs.push(data);
    // The operator names the anchor (client 0) at start, on both nodes: it becomes one event in the log.
    const anchorKey = generateKeyPair();
    const a = await node(mesh, key, { dataDir: data, trustAnchors: [anchorKey.did] });
    const b = await node(mesh, key, { trustAnchors: [anchorKey.did] });
    const c = await cast(mesh, anchorKey);
    const anchor = c.clients[0] as Agent;
    await until(
      () => a.state.trust.has(anchor.did, "agent") && b.state.trust.has(anchor.did, "agent"),
      10_000,
      "the configured anchor in the log",
    );
    expect(a.state.counters["events.TrustAnchorAdded"]).toBe(1);
    await honestWork(c);
    await ringWork(c);
    await until(() => a.state.counters.ratings === 9 + 2 * RING * NEIGHBOURS, 30_000, "all 309 ratings recorded");
    await settle([a, b], await quiet(a));
    const at = Date.now();
    const honestBefore = ranking(a, at, [c.honest.did])[0] as Reputation;

    // Attack 2: every ring member sends the anchor 20 messages, which its SDK receipts automatically.
    await pesterAnchor(anchor, c.ring);
    // Attack 3: 20 forged rejection records per ring member naming the honest agent.
    const honestSeqs = [...a.state.recent.toJSON()].filter((m) => m.from === c.honest.did).map((m) => m.seq);
    expect(honestSeqs.length).toBeGreaterThan(0);
    // The ring forges, and so does the anchor itself: a trusted member's word is not evidence either.
    await forgeRejections(mesh, c.honest, [...c.ring, anchor], honestSeqs);
    await until(
      () => refusedEvidence(a, "rejection") === (RING + 1) * 20,
      30_000,
      "every forged record counted as refused",
    );
    await until(
      () => (a.state.counters["evidence.unsolicited.receipt"] ?? 0) > 0,
      30_000,
      "the anchor's automatic receipts seen",
    );
    const end = await quiet(a);
    await settle([a, b], end);

    const later = at + 1;
    const honestAfter = ranking(a, later, [c.honest.did])[0] as Reputation;
    expect(Math.abs(honestAfter.factors.honesty.value - honestBefore.factors.honesty.value)).toBeLessThan(0.01);
    expect(a.state.counters["evidence.rejections.confirmed"] ?? 0).toBe(0);
    // Operators see the attempt in the node's status (NATS `status`, HTTP /v1/status).
    const { evidence } = a.status();
    expect(evidence.refused).toBeGreaterThanOrEqual((RING + 1) * 20);
    const rejections = Object.entries(evidence.refusedBy).filter(([k]) => k.startsWith("rejection."));
    expect(rejections.reduce((n, [, v]) => n + v, 0)).toBe((RING + 1) * 20);
    expect(evidence.refusedBy["rejection.message_passed"]).toBeGreaterThan(0); // the anchor named the honest agent's real replies to it
    expect(evidence.unsolicitedReceipts).toBeGreaterThan(0);
    const ringReps = ranking(
      a,
      later,
      c.ring.map((r) => r.did),
    );
    for (const rep of ringReps) {
      expect(rep).toMatchObject({ trust: 0, trustSource: "none", unanchored: false });
      for (const f of FACTORS) expect(rep.factors[f].weight).toBe(0);
    }
    const best = Math.max(...ringReps.map((r) => r.score));
    expect(honestAfter.score - best).toBeGreaterThanOrEqual(0.1);
    expect(ranking(a, later, [anchor.did])[0]).toMatchObject({ anchor: true, trustSource: "anchor" });
    const { result } = a.queries.discover({ capability: "translate", limit: 5 });
    expect(result[0]).toMatchObject({ did: c.honest.did, trustSource: "ratings", unanchored: false });

    // The same answers from the second node, from a node rebuilt from the log, and from one restored from a snapshot.
    const everyone = [c.honest, ...c.clients, ...c.ring].map((x) => x.did);
    const expected = ranking(a, later, everyone);
    expect(ranking(b, later, everyone)).toEqual(expected);
    const evidenceCounters = (n: RegistryNode) =>
      Object.fromEntries(Object.entries(n.state.counters).filter(([k]) => k.startsWith("evidence.")));
    const counters = evidenceCounters(a);
    await a.stop(); // stopping again at the end changes nothing
    const restored = await node(mesh, key, { dataDir: data });
    const rebuilt = await node(mesh, key);
    await settle([restored, rebuilt], end);
    expect(restored.status().rebuild.fromSnapshot).toBe(true);
    expect(rebuilt.status().rebuild.fromSnapshot).toBe(false);
    for (const n of [restored, rebuilt]) {
      expect(ranking(n, later, everyone)).toEqual(expected);
      expect(evidenceCounters(n)).toEqual(counters);
    }
  }, 180_000);
});
