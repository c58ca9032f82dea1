import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { agentToken, MessageKind, meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { consumerNameKey, topicConsumer } from "../src/index.js";
import { inboxConsumer, secretName } from "../src/internal.js";
import { ensureConsumer } from "../src/consumers.js";

describe("secret consumer names", () => {
  it("derive from the agent's seed and the mesh, and never show its DID", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const s = meshSubjects("names");
    const owner = { did: a.did, nameKey: consumerNameKey(a.exportSeed(), "names") };
    const again = { did: a.did, nameKey: consumerNameKey(a.exportSeed(), "names") };
    const spec = inboxConsumer(s, owner);
    expect(spec.name).toMatch(/^inbox_[a-z2-7]{26}$/);
    expect(inboxConsumer(s, again).name).toBe(spec.name);
    expect(spec.name).not.toContain(agentToken(a.did));
    expect(spec.legacyName).toBe(`inbox_${agentToken(a.did)}`);
    expect(spec.config.filter_subject).toBe(s.filter(MessageKind.Inbox, agentToken(a.did)));
    expect(inboxConsumer(s, { did: b.did, nameKey: consumerNameKey(b.exportSeed(), "names") }).name).not.toBe(
      spec.name,
    );
    expect(
      inboxConsumer(meshSubjects("other"), { did: a.did, nameKey: consumerNameKey(a.exportSeed(), "other") }).name,
    ).not.toBe(spec.name);
    expect(topicConsumer(s, owner, "news", undefined).name).toMatch(/^topic_news_[a-z2-7]{26}$/);
    expect(topicConsumer(s, owner, "news", undefined).name).not.toBe(topicConsumer(s, owner, "sports", undefined).name);
    // Queue groups share one durable, named by topic and group.
    expect(topicConsumer(s, owner, "news", "workers").name).toBe("group_news_workers");
    expect(secretName(owner.nameKey, "inbox")).toHaveLength(26);
  });
});

describe("taking over a legacy inbox durable", () => {
  const nats = useTestServer();

  it("starts after what the legacy consumer acknowledged, then deletes it", async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const mesh = "takeover";
      const s = meshSubjects(mesh);
      await ensureMeshStream(nc, mesh);
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const key = generateKeyPair();
      const me = agentToken(key.did);
      const spec = inboxConsumer(s, { did: key.did, nameKey: consumerNameKey(key.exportSeed(), mesh) });
      // An agent of the previous version: its inbox durable under the predictable name, 3 of 5 messages acked.
      await jsm.consumers.add(s.stream, {
        durable_name: spec.legacyName!,
        filter_subject: spec.config.filter_subject!,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
      });
      for (let i = 1; i <= 5; i++) await js.publish(s.message(MessageKind.Inbox, me, me), `m${i}`);
      const legacy = await js.consumers.get(s.stream, spec.legacyName!);
      const batch = await legacy.fetch({ max_messages: 3, expires: 2_000 });
      for await (const m of batch) await m.ackAck();

      await ensureConsumer(jsm, s.stream, spec);
      await expect(jsm.consumers.info(s.stream, spec.legacyName!)).rejects.toThrow(/not found/i);
      const taken = await js.consumers.get(s.stream, spec.name);
      const rest: string[] = [];
      for await (const m of await taken.fetch({ max_messages: 5, expires: 1_000 })) rest.push(m.string());
      expect(rest).toEqual(["m4", "m5"]);
      // A consumer squatting an agent's legacy name with another filter is not taken over (nor deleted).
      const other = generateKeyPair();
      const otherSpec = inboxConsumer(s, { did: other.did, nameKey: consumerNameKey(other.exportSeed(), mesh) });
      await jsm.consumers.add(s.stream, {
        durable_name: otherSpec.legacyName!,
        filter_subject: s.filter(MessageKind.Inbox, me),
        ack_policy: AckPolicy.Explicit,
      });
      await js.publish(s.message(MessageKind.Inbox, agentToken(other.did), me), "for other");
      await ensureConsumer(jsm, s.stream, otherSpec);
      expect((await jsm.consumers.info(s.stream, otherSpec.legacyName!)).config.filter_subject).toBe(
        s.filter(MessageKind.Inbox, me),
      );
      const own = await js.consumers.get(s.stream, otherSpec.name);
      const got: string[] = [];
      for await (const m of await own.fetch({ max_messages: 5, expires: 1_000 })) got.push(m.string());
      expect(got).toEqual(["for other"]);
      // Idempotent: a second ensure keeps the consumer and its position.
      await ensureConsumer(jsm, s.stream, spec);
      expect((await jsm.consumers.info(s.stream, spec.name)).config.durable_name).toBe(spec.name);
    } finally {
      await nc.close();
    }
  });
});
