/**
 * The registry's `subscribe` operation (NATS operator mode): topic durables made on a member's signed request, on the
 * topic stream. Every node of the mesh names a group's durable alike (the names derive from the mesh account's key,
 * not the node's), a request never re-tunes an existing durable, and a malformed request is refused before anything
 * is created.
 */
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "@plexus/anp";
import { ErrorCode, MessageKind, meshSubjects, type PlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { startRegistryNode, type RegistryNode } from "../src/index.js";
import { MAX_TOPIC_DURABLES_PER_AGENT } from "../src/service/topic-consumers.js";
import { freshMesh } from "./fixtures.js";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function node(mesh: string, key = generateKeyPair(), trustedRegistries: string[] = []): Promise<RegistryNode> {
  const n = await startRegistryNode({
    nats: nats.url,
    mesh,
    key,
    trustedRegistries,
    http: false,
    refreshMs: 0,
    natsAuth: await nats.server.auth.mesh(mesh),
  });
  closers.push(() => n.stop());
  return n;
}

async function clientOf(mesh: string, key = generateKeyPair()) {
  const nc = await nats.server.auth.connectAgent(mesh, key);
  closers.push(() => nc.close());
  return { key, client: new RegistryClient(nc, mesh) };
}

describe("topic durables made by the registry", () => {
  it("two nodes with different keys give a group's members the same durable, and a later request does not re-tune it", async () => {
    const mesh = freshMesh();
    const [ka, kb] = [generateKeyPair(), generateKeyPair()];
    const [a, b] = [await node(mesh, ka, [kb.did]), await node(mesh, kb, [ka.did])];
    const members = await Promise.all([clientOf(mesh), clientOf(mesh), clientOf(mesh)]);
    const service = await nats.server.auth.connectService(mesh);
    closers.push(() => service.close());
    const jsm = await jetstreamManager(service);
    // The group's durable of the old kind (public name, on the mesh stream): deleted once the new one is made.
    const s = meshSubjects(mesh);
    await jsm.consumers.add(s.stream, {
      durable_name: "group_jobs_workers",
      filter_subject: s.filter(MessageKind.Topic, "jobs"),
      ack_policy: AckPolicy.Explicit,
    });
    const first = await members[0]!.client.topicDurable(members[0]!.key, {
      topic: "jobs",
      group: "workers",
      ackWaitMs: 5_000,
    });
    expect(first).toMatchObject({ stream: meshSubjects(mesh).topicStream, created: true });
    // Several requests, answered by either node (one queue group): the same name, nothing created again.
    const later = await Promise.all(
      Array.from({ length: 24 }, (_, i) => 1 + (i % 2)).map((i) =>
        members[i]!.client.topicDurable(members[i]!.key, { topic: "jobs", group: "workers", ackWaitMs: 1_000 }),
      ),
    );
    expect(new Set(later.map((g) => g.name))).toEqual(new Set([first.name]));
    expect(later.every((g) => !g.created)).toBe(true);
    // Both nodes answered some of them (each request goes to one node of the queue group, at random).
    for (const n of [a, b]) expect(n.status().counters["requests.subscribe"] ?? 0).toBeGreaterThan(0);
    const info = await jsm.consumers.info(first.stream, first.name);
    expect(info.config.ack_wait).toBe(5_000 * 1_000_000);
    expect(info.config.filter_subject).toBe(`plexus.${mesh}.acp.topic.jobs.*`);
    await expect(jsm.consumers.info(s.stream, "group_jobs_workers")).rejects.toThrow(/consumer not found/);

    // Solo durables: one per (agent, topic), each told only to its agent, none equal to the group's.
    const solos = await Promise.all(members.map((m) => m.client.topicDurable(m.key, { topic: "jobs" })));
    expect(new Set([...solos.map((g) => g.name), first.name]).size).toBe(4);
    expect(solos.every((g) => g.name.startsWith("t_")) && first.name.startsWith("g_")).toBe(true);
  });

  it("refuses a malformed request before creating anything", async () => {
    const mesh = freshMesh();
    await node(mesh);
    const { key, client } = await clientOf(mesh);
    for (const body of [
      { topic: "a.b" },
      { topic: "ok", group: "x>" },
      { topic: "ok", filter_subject: "plexus.>" },
      { topic: "ok", ackWaitMs: "1" },
    ]) {
      const err = (await client.topicDurable(key, body as never).catch((e: unknown) => e)) as PlexusError;
      expect(err.code, JSON.stringify(body)).toBe(ErrorCode.RequestRefused);
      expect(err.details?.["reason"]).toBe("malformed");
    }
    const service = await nats.server.auth.connectService(mesh);
    closers.push(() => service.close());
    const names: string[] = [];
    for await (const c of (await jetstreamManager(service)).consumers.list(meshSubjects(mesh).topicStream))
      names.push(c.name);
    expect(names).toEqual([]);
  });

  it(`lets one agent own at most ${MAX_TOPIC_DURABLES_PER_AGENT} topic durables; others are not limited by it`, {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    await node(mesh);
    const greedy = await clientOf(mesh);
    for (let i = 0; i < MAX_TOPIC_DURABLES_PER_AGENT; i++)
      await greedy.client.topicDurable(greedy.key, { topic: `t${i}` });
    const err = (await greedy.client
      .topicDurable(greedy.key, { topic: "one-more" })
      .catch((e: unknown) => e)) as PlexusError;
    expect(err.code).toBe(ErrorCode.RequestRefused);
    expect(err.details?.["reason"]).toBe("too_many_subscriptions");
    // What it has it keeps asking for (no new durable), and a group someone else made costs it nothing.
    expect((await greedy.client.topicDurable(greedy.key, { topic: "t0" })).created).toBe(false);
    const other = await clientOf(mesh);
    expect((await other.client.topicDurable(other.key, { topic: "jobs", group: "g" })).created).toBe(true);
    expect((await greedy.client.topicDurable(greedy.key, { topic: "jobs", group: "g" })).created).toBe(false);
    expect((await other.client.topicDurable(other.key, { topic: "one-more" })).created).toBe(true);
  });
});
