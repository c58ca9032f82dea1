/**
 * NATS-enforced permissions, agent against agent: every agent connects with its own user JWT (operator mode), and
 * every attempt to act as another agent or to read another agent's inbox, replies or receipts is refused by the
 * server itself, while the same agents' real traffic is delivered, to its addressee only. Run on one server and on a
 * 3-server JetStream cluster in operator mode (each connection picks a member at random: the permissions hold
 * wherever an agent connects, and its messages and receipts cross the routes).
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentPermissions, ensureMeshStream } from "@plexus/bus";
import { agentToken, MessageKind, meshSubjects } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
// Test-only: topic durables are the registry's to make in operator mode (see consumer-ownership in @plexus/a2a's tests).
import { startRegistryNode } from "@plexus/registry";
import { startTestCluster, startTestServer, until } from "@plexus/testing";
import { permissionViolations as violations } from "@plexus/testing/internal";
import { Agent, type Delivery } from "@plexus/sdk";

const N = 4;
type Backend = Awaited<ReturnType<typeof startTestServer>> | Awaited<ReturnType<typeof startTestCluster>>;
const BACKENDS: [string, () => Promise<Backend>][] = [
  ["one server", () => startTestServer({ operator: true })],
  ["a 3-server cluster", () => startTestCluster({ servers: 3, operator: true })],
];

interface Member {
  key: KeyPair;
  token: string;
  nc: NatsConnection;
  agent: Agent;
  got: Delivery[];
  violations: string[];
}

describe.each(BACKENDS)(`an ${N}×${N} matrix of agents with their own NATS users, on %s`, (_, start) => {
  let nats: Backend | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    nats = await start();
  }, 60_000);
  afterAll(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await nats?.cleanup();
  }, 60_000);

  it("refuses every attempt to act as, or read for, another agent; legitimate messages reach their addressee only", async () => {
    const mesh = "matrix";
    const s = meshSubjects(mesh);
    if (!nats) throw new Error("no server");
    const auth = nats.auth;
    const service = await auth.connectService(mesh);
    closers.push(() => service.close());
    await ensureMeshStream(service, mesh);
    const registry = await startRegistryNode({
      nats: nats.url,
      mesh,
      key: generateKeyPair(),
      http: false,
      refreshMs: 0,
      natsAuth: await auth.mesh(mesh),
    });
    closers.push(() => registry.stop());

    const members: Member[] = [];
    for (let i = 0; i < N; i++) {
      const key = generateKeyPair();
      const nc = await auth.connectAgent(mesh, key);
      closers.push(() => nc.close());
      const seen = violations(nc);
      const agent = await Agent.connect({ key, nats: nc, mesh });
      closers.push(() => agent.close());
      const got: Delivery[] = [];
      await agent.listen((d) => void got.push(d));
      members.push({ key, token: agentToken(key.did), nc, agent, got, violations: seen });
    }

    // Legitimate traffic first, so the attacks below have something to steal.
    for (const a of members)
      for (const b of members)
        if (a !== b) await a.agent.send(b.key.did, `${a.token}→${b.token}`, { awaitReceipt: true });
    const [first, second] = members as [Member, Member];

    const stolen: Subscription[] = [];
    let expectedViolations = 0;
    for (const a of members) {
      const expected: string[] = [];
      const pub = (subject: string) => {
        a.nc.publish(subject, "x", { reply: `_INBOX.${a.token}.attack` });
        expected.push(`publish ${subject}`);
      };
      const sub = (subject: string) => {
        stolen.push(a.nc.subscribe(subject, { callback: () => undefined }));
        expected.push(`subscription ${subject}`);
      };
      for (const v of members) {
        if (v === a) continue;
        const vt = v.token;
        // A third agent's messages to the victim (the attacker's own sent messages are its own to read).
        const third = members.find((x) => x !== a && x !== v)!.token;
        // Publishing as the victim, in every message family.
        pub(s.message(MessageKind.Inbox, vt, vt));
        pub(s.message(MessageKind.Inbox, a.token, vt));
        pub(s.message(MessageKind.Reply, a.token, vt));
        pub(s.message(MessageKind.Receipt, a.token, vt));
        pub(s.message(MessageKind.Topic, "news", vt));
        pub(s.rejected(vt));
        pub(s.dead(vt));
        pub(`$KV.${s.heartbeatBucket}.${vt}`);
        // Reading the victim's inbox, replies and receipts through JetStream consumers.
        pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.${s.filter(MessageKind.Inbox, vt)}`);
        pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.${s.filter(MessageKind.Reply, vt)}`);
        pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.${s.filter(MessageKind.Receipt, vt)}`);
        pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.${s.message(MessageKind.Inbox, vt, third)}`);
        pub(`$JS.API.CONSUMER.DURABLE.CREATE.${s.stream}.inbox_${vt}`);
        pub(`$JS.API.DIRECT.GET.${s.stream}.${s.message(MessageKind.Inbox, vt, third)}`);
        // Reading them live.
        sub(`_INBOX.${vt}.>`);
        sub(s.filter(MessageKind.Inbox, vt));
        sub(s.filter(MessageKind.Reply, vt));
        sub(s.filter(MessageKind.Receipt, vt));
      }
      // What no agent may do to anyone: wide consumers, reads by position, listing consumer names, advisories.
      pub(`$JS.API.CONSUMER.CREATE.${s.stream}`);
      pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}`);
      pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.plexus.${mesh}.acp.>`);
      pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.plexus.${mesh}.>`);
      // Topic durables are the registry's: no agent creates (or, by a known name, updates) one, on either stream.
      pub(`$JS.API.CONSUMER.CREATE.${s.stream}.steal_${a.token}.${s.filter(MessageKind.Topic, "news")}`);
      pub(`$JS.API.CONSUMER.CREATE.${s.topicStream}.steal_${a.token}.${s.filter(MessageKind.Topic, "news")}`);
      pub(`$JS.API.CONSUMER.CREATE.${s.topicStream}.steal_${a.token}.${s.filter(MessageKind.Inbox, a.token)}`);
      pub(`$JS.API.STREAM.MSG.GET.${s.stream}`);
      pub(`$JS.API.DIRECT.GET.${s.stream}`);
      pub(`$JS.API.CONSUMER.LIST.${s.stream}`);
      pub(`$JS.API.CONSUMER.NAMES.${s.stream}`);
      pub(`$JS.API.CONSUMER.DELETE.${s.stream}.group_news_workers`);
      pub(`$JS.API.STREAM.PURGE.${s.stream}`);
      pub(`$JS.API.STREAM.DELETE.${s.stream}`);
      sub("_INBOX.>");
      sub(`plexus.${mesh}.>`);
      sub("$JS.EVENT.ADVISORY.>");
      sub("$JS.API.>");
      await until(
        () => expected.every((e) => a.violations.includes(e)),
        5_000,
        `${expected.length} violations for ${a.token}`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; missing: ${expected.filter((e) => !a.violations.includes(e)).join(", ")}`);
      });
      expectedViolations += expected.length;
    }

    // Smuggling a victim's filter in the body of an allowed create: the server compares it with the subject's.
    for (const [a, v] of [
      [first, second],
      [second, first],
    ] as const) {
      const own = s.filter(MessageKind.Inbox, a.token);
      const victim = s.filter(MessageKind.Inbox, v.token);
      for (const config of [
        { filter_subject: victim },
        { filter_subject: own, filter_subjects: [victim] },
        { filter_subjects: [victim] },
      ]) {
        const reply = await a.nc.request(
          `$JS.API.CONSUMER.CREATE.${s.stream}.smuggle_${a.token}.${own}`,
          JSON.stringify({
            stream_name: s.stream,
            config: { name: `smuggle_${a.token}`, ack_policy: "none", ...config },
            action: "create",
          }),
          { timeout: 5_000 },
        );
        const answer = JSON.parse(reply.string()) as { error?: { code: number; err_code: number } };
        expect(answer.error?.code, JSON.stringify(answer)).toBe(400);
        // 10131: the body's filter is not the subject's; 10137: several filters cannot use the subject-based API.
        expect([10131, 10137], JSON.stringify(answer)).toContain(answer.error?.err_code);
      }
      // Pulling from or acking the victim's inbox durable by its old predictable name reaches nothing.
      await expect(
        a.nc.request(
          `$JS.API.CONSUMER.MSG.NEXT.${s.stream}.inbox_${v.token}`,
          JSON.stringify({ batch: 10, no_wait: true }),
          { timeout: 2_000 },
        ),
      ).rejects.toThrow();
      a.nc.publish(`$JS.ACK.${s.stream}.inbox_${v.token}.1.1.1.0.0`, "+ACK");
    }

    // A second round of real traffic after the attacks: still delivered, acks by the old names changed nothing.
    for (const a of members)
      for (const b of members)
        if (a !== b) await a.agent.send(b.key.did, `again ${a.token}→${b.token}`, { awaitReceipt: true });
    // Topics are for everyone: a topic subscription and publishes from the others work, and so does reading one's own
    // dead letters.
    const news: Delivery[] = [];
    await first.agent.subscribe("news", (d) => void news.push(d));
    for (const m of members.slice(1)) await m.agent.publish("news", `news from ${m.token}`);
    await until(() => news.length === N - 1, 10_000, "topic messages");
    expect((await first.agent.deadLetters()).total).toBe(0);
    await until(() => members.every((m) => m.got.length === 2 * (N - 1)), 10_000, "every message delivered");
    for (const m of members) {
      const froms = m.got.map((d) => agentToken(d.from)).sort();
      const others = members.filter((o) => o !== m).map((o) => o.token);
      expect(froms).toEqual([...others, ...others].sort());
      // Cross-agent deliveries: none.
      expect(m.got.filter((d) => d.to !== m.key.did)).toEqual([]);
      expect(m.got.every((d) => (d.body as string).endsWith(`→${m.token}`))).toBe(true);
    }
    // Not one message reached a subscription the server refused, and legitimate traffic caused no violation.
    expect(stolen.reduce((n, x) => n + x.getReceived(), 0)).toBe(0);
    const total = members.reduce((n, m) => n + m.violations.length, 0);
    expect(total).toBe(expectedViolations);
    expect(expectedViolations).toBe(N * ((N - 1) * 18 + 18));
    // The permissions these users carry are the ones agentPermissions lists.
    expect(agentPermissions(mesh, first.key.did).sub.allow).toEqual([
      `_INBOX.${first.token}.>`,
      `plexus.${mesh}.acp.topic.>`,
    ]);
  }, 120_000);
});
