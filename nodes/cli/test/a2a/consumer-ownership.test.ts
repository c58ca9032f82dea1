/**
 * Every consumer has one owner (NATS operator mode, real server): every kind of consumer the system creates, against
 * every JetStream API verb, tried by another agent. Replays the findings of issue 11 (2a: an agent re-tuned a queue
 * group's durable, headers_only / a moved filter / inactive_threshold 1 s, or could delete it; 2b: an agent pulled and
 * acked replies from the A2A gateway's durable) and shows what the server now answers, and that the owners' traffic
 * still flows: a group's members share the work (each message to exactly one), a solo topic durable keeps what was
 * published while its agent was away, and the gateway gets every reply.
 *
 * Here rather than in @plexus/sdk or @plexus/a2a: the matrix needs a registry node (it makes the topic durables) and
 * the gateway's mesh link (@plexus/a2a/internal), and only a package above the registry may use both.
 *
 * The attacker, Mallory, is an ordinary agent with its own user JWT. It is given what it can learn: every predictable
 * name (the old `group_<topic>_<group>`, `inbox_<token>`, `a2a_replies_<token>`, `topic_<topic>_<token>`, and names
 * derived from its own seed), and the real name of every topic durable (it asks the registry to join the group; a
 * solo durable's name is assumed leaked). On the topic stream, where topic durables live, no name lets it create,
 * update, delete or pause anything; on the mesh stream, consumers' names are secret and the predictable ones reach
 * nothing.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, describe, expect, it } from "vitest";
import { consumerNameKey, topicDurable, topicNamesKey, type Delivery } from "@plexus/acp";
import { inboxConsumer, secretName } from "@plexus/acp/internal";
import { RegistryClient } from "@plexus/anp";
import { openJetStreamAuditStore, startSealer } from "@plexus/audit";
import { agentToken, MessageKind, meshSubjects } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { startRegistryNode } from "@plexus/registry";
import { Agent } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import { permissionViolations as violations } from "@plexus/testing/internal";
import { MeshLink, replyConsumer } from "@plexus/a2a/internal";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

type ApiAnswer = { error?: { code: number; err_code?: number; description?: string } } & Record<string, unknown>;

/** A JetStream API request the permissions allow: the server's JSON answer. */
async function api(nc: NatsConnection, subject: string, body: unknown = {}): Promise<ApiAnswer> {
  const reply = await nc.request(subject, JSON.stringify(body), { timeout: 5_000 });
  return JSON.parse(reply.string()) as ApiAnswer;
}

/** The updates of finding 2a, as create requests (the body's `action` says update; permissions cannot see it). */
function updates(stream: string, name: string, filter: string, movedTo: string, deliver: "new" | "all") {
  const base = { ack_policy: "explicit", deliver_policy: deliver, durable_name: name, filter_subject: filter };
  return [
    { label: "headers_only", filter, config: { ...base, headers_only: true } },
    { label: "inactive_threshold 1 s", filter, config: { ...base, inactive_threshold: 1_000_000_000 } },
    { label: "max_deliver 1, ack_wait 1 s", filter, config: { ...base, max_deliver: 1, ack_wait: 1_000_000_000 } },
    { label: "moved filter", filter: movedTo, config: { ...base, filter_subject: movedTo } },
  ].map((u) => ({
    ...u,
    subject: `$JS.API.CONSUMER.CREATE.${stream}.${name}.${u.filter}`,
    body: { stream_name: stream, config: u.config, action: "update" },
  }));
}

interface Target {
  kind: string;
  stream: string;
  /** The consumer's real name (the test knows it; the attacker only where said). */
  name: string;
  filter: string;
  /** Its deliver policy (an update must repeat it, or the server refuses it for that reason alone). */
  deliver: "new" | "all";
  /** Names the attacker can compute for it. */
  guessable: string[];
  /** The attacker knows the real name (topic durables: a group's is told to whoever joins). */
  attackerKnowsName: boolean;
}

describe("every consumer has one owner (operator mode)", () => {
  it("another agent can neither steer, delete, pause, inspect nor read the consumers the system creates; owners' traffic still flows", async () => {
    const mesh = `own${process.pid}`;
    const s = meshSubjects(mesh);
    const auth = await nats.server.auth.mesh(mesh);
    const registry = await startRegistryNode({
      nats: nats.url,
      mesh,
      key: generateKeyPair(),
      http: false,
      refreshMs: 0,
      natsAuth: auth,
    });
    closers.push(() => registry.stop());
    const service = await nats.server.auth.connectService(mesh);
    closers.push(() => service.close());
    const jsm = await jetstreamManager(service);

    const keys = new Map<string, KeyPair>();
    // Carol's solo durable gets a 1 s ack wait: a message the server hands to her stopped subscription's last pull
    // comes back after the ack wait, and the test should not wait the default 30 s for it.
    const agent = async (name: string): Promise<Agent> => {
      const key = generateKeyPair();
      keys.set(name, key);
      const a = await Agent.connect({
        key,
        nats: nats.url,
        mesh,
        natsAuth: { bootstrapCreds: auth.bootstrapCreds },
        ...(name === "carol" ? { ackWaitMs: 1_000 } : {}),
      });
      closers.push(() => a.close());
      return a;
    };
    const [alice, bob, carol, mallory, pub, echo] = (await Promise.all(
      ["alice", "bob", "carol", "mallory", "pub", "echo"].map(agent),
    )) as [Agent, Agent, Agent, Agent, Agent, Agent];
    const mnc = mallory.natsSession!.nc;
    const seen = violations(mnc);
    const nameKeyOf = (who: string) => consumerNameKey(keys.get(who)!.exportSeed(), mesh);
    const mine = nameKeyOf("mallory");
    const mt = agentToken(mallory.did);

    // The owners: a queue group, a solo topic subscriber, an inbox, the gateway's replies.
    const jobs = { alice: [] as Delivery[], bob: [] as Delivery[] };
    await alice.subscribe("jobs", (d) => void jobs.alice.push(d), { group: "workers" });
    await bob.subscribe("jobs", (d) => void jobs.bob.push(d), { group: "workers" });
    const news: Delivery[] = [];
    const carolNews = await carol.subscribe("news", (d) => void news.push(d));
    const bobInbox: Delivery[] = [];
    await bob.listen((d) => void bobInbox.push(d));
    await echo.listen(async (d) => void (await echo.reply(d, { echo: d.body })));
    const gatewayKey = generateKeyPair();
    const gatewayGot: Delivery[] = [];
    const link = await MeshLink.open({
      nc: service,
      mesh,
      key: gatewayKey,
      onAgentMessage: async (d) => void gatewayGot.push(d),
    });
    closers.push(() => link.close());
    const gt = agentToken(gatewayKey.did);
    // The sealer follows the whole log with an ordered consumer (as do the registry node and the agents' taps).
    const sealer = await startSealer({
      nc: service,
      mesh,
      store: await openJetStreamAuditStore({ nc: service, mesh }),
      key: generateKeyPair(),
    });
    closers.push(() => sealer.stop());

    // What Mallory learns by asking: the group's durable (it may join any group), its own solo durable for "news".
    const client = new RegistryClient(mnc, mesh);
    const group = await client.topicDurable(keys.get("mallory")!, { topic: "jobs", group: "workers" });
    expect(group).toMatchObject({ stream: s.topicStream, created: false });
    const ownNews = await client.topicDurable(keys.get("mallory")!, { topic: "news" });
    const namesKey = topicNamesKey(auth.accountKey.getSeed(), mesh);
    const carolSolo = topicDurable(s, namesKey, { did: carol.did, topic: "news" }).name;
    expect(ownNews.name).not.toBe(carolSolo);
    const bt = agentToken(bob.did);

    const targets: Target[] = [
      {
        kind: "queue-group durable",
        stream: s.topicStream,
        name: group.name,
        filter: s.filter(MessageKind.Topic, "jobs"),
        deliver: "new",
        guessable: ["group_jobs_workers", `g_${secretName(mine, "group/jobs/workers")}`],
        attackerKnowsName: true,
      },
      {
        kind: "solo topic durable",
        stream: s.topicStream,
        name: carolSolo,
        filter: s.filter(MessageKind.Topic, "news"),
        deliver: "new",
        guessable: [
          `topic_news_${agentToken(carol.did)}`,
          `topic_news_${secretName(mine, "topic/news")}`,
          `t_${secretName(mine, `solo/${carol.did}/news`)}`,
        ],
        attackerKnowsName: true,
      },
      {
        kind: "agent inbox durable",
        stream: s.stream,
        name: inboxConsumer(s, { did: bob.did, nameKey: nameKeyOf("bob") }).name,
        filter: s.filter(MessageKind.Inbox, bt),
        deliver: "all",
        guessable: [`inbox_${bt}`, `inbox_${secretName(mine, "inbox")}`],
        attackerKnowsName: false,
      },
      {
        kind: "A2A gateway reply durable",
        stream: s.stream,
        name: replyConsumer(s, { did: gatewayKey.did, nameKey: consumerNameKey(gatewayKey.exportSeed(), mesh) }).name,
        filter: s.filter(MessageKind.Reply, gt),
        deliver: "all",
        guessable: [`a2a_replies_${gt}`, `a2a_replies_${secretName(mine, "a2a/replies")}`],
        attackerKnowsName: false,
      },
    ];
    for (const t of targets) await jsm.consumers.info(t.stream, t.name); // all exist

    const expected: string[] = [];
    const refused = (subject: string, body: unknown = {}) => {
      mnc.publish(subject, JSON.stringify(body), { reply: `_INBOX.${mt}.attack` });
      expected.push(`publish ${subject}`);
    };
    const ownFilter = s.filter(MessageKind.Inbox, mt);
    for (const t of targets) {
      const names = t.attackerKnowsName ? [t.name, ...t.guessable] : t.guessable;
      for (const name of names) {
        // CREATE without a filter, the legacy durable create, DELETE, PAUSE, leader step-down: never an agent's.
        refused(`$JS.API.CONSUMER.CREATE.${t.stream}.${name}`, {
          stream_name: t.stream,
          config: { durable_name: name, ack_policy: "explicit" },
        });
        refused(`$JS.API.CONSUMER.DURABLE.CREATE.${t.stream}.${name}`, {
          stream_name: t.stream,
          config: { durable_name: name, ack_policy: "explicit" },
        });
        refused(`$JS.API.CONSUMER.DELETE.${t.stream}.${name}`);
        refused(`$JS.API.CONSUMER.PAUSE.${t.stream}.${name}`, {
          pause_until: new Date(Date.now() + 3_600_000).toISOString(),
        });
        refused(`$JS.API.CONSUMER.LEADER.STEPDOWN.${t.stream}.${name}`);
        // UPDATE through CREATE on the consumer's own filter: headers_only, inactive_threshold, … (finding 2a).
        for (const u of updates(t.stream, name, t.filter, ownFilter, t.deliver).filter((x) => x.filter === t.filter))
          refused(u.subject, u.body);
        if (t.stream === s.topicStream) {
          // …and with the filter moved to one the attacker may read on the mesh stream: no create on the topic stream.
          for (const u of updates(t.stream, name, t.filter, ownFilter, t.deliver).filter((x) => x.filter !== t.filter))
            refused(u.subject, u.body);
        }
      }
    }
    // No listing of names, on either stream.
    for (const stream of [s.stream, s.topicStream]) {
      refused(`$JS.API.CONSUMER.LIST.${stream}`);
      refused(`$JS.API.CONSUMER.NAMES.${stream}`);
    }
    await until(() => expected.every((e) => seen.includes(e)), 10_000, `${expected.length} refusals`).catch(
      (err: Error) => {
        throw new Error(`${err.message}; not refused: ${expected.filter((e) => !seen.includes(e)).join(", ")}`);
      },
    );

    // On the mesh stream an agent may create on its own filters, so an update by a predictable name is answered by the
    // server: there is no such consumer (the real ones have secret names).
    for (const t of targets.filter((x) => x.stream === s.stream)) {
      for (const name of t.guessable) {
        for (const u of updates(t.stream, name, t.filter, ownFilter, t.deliver).filter((x) => x.filter === ownFilter)) {
          const answer = await api(mnc, u.subject, u.body);
          // 10149: consumer does not exist.
          expect(answer.error?.err_code, `${t.kind} ${name} ${u.label}: ${JSON.stringify(answer)}`).toBe(10149);
        }
      }
    }
    // INFO, MSG.NEXT and ACK by any name the attacker can compute reach nothing (finding 2b, and reading another's
    // consumer info).
    for (const t of targets) {
      for (const name of t.guessable) {
        const info = await api(mnc, `$JS.API.CONSUMER.INFO.${t.stream}.${name}`);
        expect(info.error?.code, `${t.kind} INFO ${name}`).toBe(404);
        await expect(
          mnc.request(`$JS.API.CONSUMER.MSG.NEXT.${t.stream}.${name}`, JSON.stringify({ batch: 10, no_wait: true }), {
            timeout: 2_000,
          }),
        ).rejects.toThrow();
        mnc.publish(`$JS.ACK.${t.stream}.${name}.1.1.1.0.0`, "+ACK");
      }
    }
    // A member of the group may read its info (to pull): that is all it can do with the name.
    const asMember = await api(mnc, `$JS.API.CONSUMER.INFO.${s.topicStream}.${group.name}`);
    expect(asMember.error).toBeUndefined();

    // Nothing changed: the durables are there, with the settings their owners gave them.
    for (const t of targets) {
      const info = await jsm.consumers.info(t.stream, t.name);
      expect(info.config.filter_subject, t.kind).toBe(t.filter);
      expect(info.config.headers_only ?? false, t.kind).toBe(false);
      expect(info.config.inactive_threshold ?? 0, t.kind).toBe(0);
      expect(info.config.max_deliver, t.kind).toBe(-1);
      expect(info.paused ?? false, t.kind).toBe(false);
    }

    // The group shares the work: 20 jobs, each to exactly one member, none lost.
    for (let i = 0; i < 20; i++) await pub.publish("jobs", i);
    await until(() => jobs.alice.length + jobs.bob.length >= 20, 15_000, "20 jobs");
    const bodies = [...jobs.alice, ...jobs.bob].map((d) => d.body as number).sort((a, b) => a - b);
    expect(bodies).toEqual([...Array(20).keys()]);

    // Bob's inbox still gets what is sent to it.
    for (let i = 0; i < 5; i++) await alice.send(bob.did, `after ${i}`, { awaitReceipt: true });
    expect(bobInbox.map((d) => d.body)).toEqual([0, 1, 2, 3, 4].map((i) => `after ${i}`));

    // A solo topic durable keeps what was published while its agent was away.
    await pub.publish("news", "live");
    await until(() => news.length === 1, 10_000, "live news");
    await carolNews.stop();
    for (const n of ["away 1", "away 2", "away 3"]) await pub.publish("news", n);
    await carol.subscribe("news", (d) => void news.push(d));
    await until(() => news.length === 4, 10_000, "news kept while away");
    // (One may come back out of order: the one the stopped subscription's last pull took, after the ack wait.)
    expect(news.map((d) => d.body as string).sort()).toEqual(["away 1", "away 2", "away 3", "live"]);

    // The gateway gets every reply (finding 2b: an agent took 5 of 10), while Mallory keeps pulling and acking by
    // every name it can compute.
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) sent.push((await link.send(echo.did, i, { type: "ping", conversation: `c${i}` })).id);
    for (const name of targets[3]!.guessable) {
      await mnc
        .request(`$JS.API.CONSUMER.MSG.NEXT.${s.stream}.${name}`, JSON.stringify({ batch: 10, no_wait: true }), {
          timeout: 1_000,
        })
        .catch(() => undefined);
      for (let seq = 1; seq < 200; seq++) mnc.publish(`$JS.ACK.${s.stream}.${name}.1.${seq}.${seq}.0.0`, "+ACK");
    }
    await until(
      () => gatewayGot.filter((d) => d.replyTo !== undefined).length === 10,
      15_000,
      "10 replies at the gateway",
    );
    expect(gatewayGot.map((d) => d.replyTo).sort()).toEqual([...sent].sort());
    expect(gatewayGot.map((d) => d.body)).toEqual(
      expect.arrayContaining([...Array(10).keys()].map((i) => ({ echo: i }))),
    );

    // No consumer the system created has a name another agent could compute: every name on both streams is one of the
    // secret forms (130 bits derived from a key, or random).
    const secretForm = /^(inbox_|a2a_replies_|topic_[A-Za-z0-9_-]+_|t_|g_|head_|seed_|oc_)[a-z2-7]{26}(_\d+)?$/;
    const all: string[] = [];
    for (const stream of [s.stream, s.topicStream]) for await (const c of jsm.consumers.list(stream)) all.push(c.name);
    expect(all.filter((n) => !secretForm.test(n))).toEqual([]);
    // Every kind was there to be checked: agents' inboxes, the gateway's replies, solo and group topic durables, the
    // outbox's head readers, ordered consumers (taps, registry follower, sealer).
    for (const kind of ["inbox_", "a2a_replies_", "t_", "g_", "head_", "oc_"])
      expect(
        all.some((n) => n.startsWith(kind)),
        kind,
      ).toBe(true);
    expect(all.filter((n) => n.startsWith("oc_")).length).toBeGreaterThanOrEqual(3);
    // Nothing the owners did was refused.
    for (const a of [alice, bob, carol, pub, echo]) expect((await a.rejected()).total).toBe(0);
  }, 120_000);
});
