/**
 * A registry node reading a log that hostile parties wrote into. On an open server (no operator mode) anyone may
 * publish on any subject, registry events included, so this is the worst case for the follower and the projection:
 * hostile bytes on registry event subjects, on every ACP subject it observes, on record subjects, in the heartbeat
 * bucket, and as registry requests. The node counts each, applies none, keeps answering, and a node rebuilt from the
 * same log comes to the same state.
 */
import { jetstream } from "@nats-io/jetstream";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { connectBus } from "@plexus/bus";
import { agentToken, Defaults, MessageKind, meshSubjects, newId } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { hostileMessages, junkRecords } from "@plexus/testing/internal";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describe(`a registry node over a hostile log (seed ${seed})`, () => {
  it("counts and passes every hostile message, keeps answering, and a rebuilt node agrees", {
    timeout: 90_000,
  }, async () => {
    const mesh = freshMesh();
    const s = meshSubjects(mesh);
    const node = await kit.node(mesh);
    const alice = await kit.agent(mesh);
    await alice.join(card("alice"));

    const nc = await connectBus({ servers: nats.url });
    try {
      const js = jetstream(nc);
      const key = generateKeyPair();
      const me = agentToken(key.did);
      const victim = agentToken(alice.did);
      const base = { key, other: alice.did, maxEnvelopeBytes: Defaults.maxEnvelopeBytes };
      const targets: [object, string][] = [
        [{ ...base, to: alice.did }, s.registryEvent("AgentJoined", me)],
        [{ ...base, to: alice.did }, s.registryEvent("AgentRated", victim)],
        [{ ...base, to: alice.did }, s.message(MessageKind.Inbox, victim, me)],
        [{ ...base, to: alice.did, type: "acp.receipt" }, s.message(MessageKind.Receipt, victim, me)],
        [{ ...base, topic: "news" }, s.message(MessageKind.Topic, "news", me)],
      ];
      let sent = 0;
      for (const [ctx, subject] of targets) {
        for (const msg of fc.sample(hostileMessages(ctx as Parameters<typeof hostileMessages>[0]), {
          numRuns: 25,
          seed,
        })) {
          await js.publish(subject, msg.data, { msgID: newId() });
          sent++;
        }
      }
      for (const data of fc.sample(junkRecords(), { numRuns: 10, seed })) {
        for (const subject of [s.rejected(me), s.dead(me), s.registryEvent("AgentLeft", victim)])
          await js.publish(subject, data, { msgID: newId() });
        await nc.request(s.registryService("join"), data, { timeout: 5_000 });
        nc.publish(`$KV.${s.heartbeatBucket}.${me}`, data);
        sent += 3;
      }
      const last = (
        await js.publish(s.message(MessageKind.Topic, "news", me), new TextEncoder().encode("{}"), { msgID: newId() })
      ).seq;

      await until(() => node.status().seq >= last, 20_000, "the node follows past the hostile messages");
      // None of it changed who is a member; every hostile registry event was counted as invalid.
      expect(node.queries.agents().result.map((a) => a.did)).toEqual([alice.did]);
      const counters = node.status().counters;
      const invalid = Object.entries(counters)
        .filter(([k]) => k.startsWith("invalidEvents."))
        .reduce((n, [, v]) => n + v, 0);
      expect(invalid).toBeGreaterThanOrEqual(2 * 25 + 10);
      expect(node.ready).toBe(true);

      // Still answering: a join after the storm is admitted.
      const bob = await kit.agent(mesh);
      await bob.join(card("bob"));
      await until(() => node.queries.agents().result.length === 2, 10_000, "bob admitted");

      // A node rebuilt from the same log comes to the same membership.
      const fresh = await kit.node(mesh);
      expect(
        fresh.queries
          .agents()
          .result.map((a) => a.did)
          .sort(),
      ).toEqual([alice.did, bob.did].sort());
      expect(sent).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
  });
});
