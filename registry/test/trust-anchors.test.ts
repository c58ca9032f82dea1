/**
 * Trust anchors as log events (TrustAnchorAdded / TrustAnchorRemoved), on a real nats-server: the `trust` request by
 * the registry's key and by a configured operator, refusals, idempotence, agreement between nodes (live, from a
 * snapshot, rebuilt from the log), anchors configured at start appended exactly once, and key rotation.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { RegistryClient } from "@plexus/anp";
import { encodeEvent, makeEvent, signRequest, type TrustAnchorChange } from "@plexus/anp/internal";
import { agentToken, ErrorCode, meshSubjects } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { TrustAnchorBook } from "../src/projection/index.js";
import type { RegistryNode } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
const dirs: string[] = [];
afterEach(() => kit.close());
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** What a node lists, without the `member` flag's dependence on who joined (for comparing nodes). */
function listed(node: RegistryNode): unknown[] {
  return node.queries.trustAnchors().result;
}

function added(node: RegistryNode): number {
  return node.state.counters["events.TrustAnchorAdded"] ?? 0;
}

describe("TrustAnchorBook", () => {
  it("keeps log order, ignores an anchor added twice, renames an agent anchor in place, and round-trips through JSON", () => {
    const [a, b, c, d] = Array.from({ length: 4 }, () => generateKeyPair().did) as [string, string, string, string];
    const book = new TrustAnchorBook();
    expect(book.add({ did: a, role: "agent", by: d, at: 1, seq: 1 })).toBe(true);
    expect(book.add({ did: b, role: "issuer", by: d, at: 2, seq: 2, reason: "our CA" })).toBe(true);
    expect(book.add({ did: c, role: "agent", by: d, at: 3, seq: 3 })).toBe(true);
    expect(book.add({ did: a, role: "agent", by: c, at: 4, seq: 4 })).toBe(false);
    expect(book.add({ did: a, role: "issuer", by: d, at: 5, seq: 5 })).toBe(true);
    expect([...book.agents()]).toEqual([a, c]);
    expect([...book.issuers()]).toEqual([b, a]);
    book.rename(a, d);
    expect([...book.agents()]).toEqual([d, c]);
    expect(book.has(a, "agent")).toBe(false);
    expect(book.has(a, "issuer")).toBe(true);
    expect(book.get(d, "agent")).toMatchObject({ did: d, seq: 1 });
    expect(book.remove(c, "agent", 9)).toBe(true);
    expect(book.remove(c, "agent", 10)).toBe(false);
    expect(book.lastRemoval(c, "agent")).toBe(9);
    expect(book.lastRemoval(a, "issuer")).toBe(0);
    const copy = TrustAnchorBook.fromJSON(JSON.parse(JSON.stringify(book.toJSON())));
    expect([...copy.entries()]).toEqual([...book.entries()]);
    expect(copy.lastRemoval(c, "agent")).toBe(9);
  });
});

describe("trust anchors in the log", () => {
  it("the registry key and an operator add, list and remove anchors; others are refused and nothing is appended", async () => {
    const mesh = freshMesh();
    const operator = generateKeyPair();
    const node = await kit.node(mesh, { operators: [operator.did] });
    const memberKey = generateKeyPair();
    const member = await kit.agent(mesh, memberKey);
    await member.join(card("member"));
    const issuer = generateKeyPair().did;
    const registry = member.registry;

    const first = await registry.trust(kit.registryKey, "add", member.did, undefined, "founding member");
    expect(first).toEqual({ did: member.did, role: "agent", anchored: true, seq: expect.any(Number) });
    // An anchor need not be a member; an issuer anchor is a role of its own.
    const second = await registry.trust(operator, "add", issuer, "issuer", "the mesh's certifier");
    expect(second).toMatchObject({ did: issuer, role: "issuer", anchored: true });
    // Adding again appends nothing and answers with the first event's position.
    const before = added(node);
    expect(await registry.trust(operator, "add", member.did, "agent", "again")).toEqual(first);
    expect(added(node)).toBe(before);

    const { result, asOf } = await registry.trustAnchors();
    expect(asOf.seq).toBe(node.state.seq);
    expect(result).toEqual([
      {
        did: member.did,
        role: "agent",
        by: kit.registryKey.did,
        at: expect.any(Number),
        seq: first.seq,
        reason: "founding member",
        member: true,
      },
      {
        did: issuer,
        role: "issuer",
        by: operator.did,
        at: expect.any(Number),
        seq: second.seq,
        reason: "the mesh's certifier",
        member: false,
      },
    ]);
    expect([...node.state.trust.agents()]).toEqual([member.did]);
    expect([...node.state.trust.issuers()]).toEqual([issuer]);

    // Not an operator: refused as suspend refuses it, and the anchors stay as they were.
    const stranger = generateKeyPair();
    const seqBefore = node.state.seq;
    await expect(registry.trust(stranger, "add", stranger.did)).rejects.toMatchObject({
      code: ErrorCode.RequestRefused,
      details: { reason: "not_operator" },
    });
    await expect(registry.trust(memberKey, "remove", member.did)).rejects.toMatchObject({
      details: { reason: "not_operator" },
    });
    await expect(registry.suspend(stranger, member.did, "x")).rejects.toMatchObject({
      details: { reason: "not_operator" },
    });
    expect(added(node)).toBe(before);
    expect(node.state.counters["events.TrustAnchorRemoved"] ?? 0).toBe(0);
    expect(node.queries.trustAnchors().result.map((a) => a.did)).toEqual([member.did, issuer]);
    // (Refusals themselves are recorded as RequestRefused, and nothing else.)
    await expect.poll(() => node.state.counters["refused.not_operator"]).toBe(3);
    expect(node.state.seq).toBeGreaterThanOrEqual(seqBefore + 3);

    // Malformed bodies: not a did:key, an unknown role, an absent anchor to remove.
    await expect(registry.trust(operator, "add", "did:web:example.com")).rejects.toMatchObject({
      details: { reason: "malformed" },
    });
    await expect(
      registry.call("trust", await signed(registry, operator, { action: "add", did: issuer, role: "root" })),
    ).rejects.toMatchObject({ details: { reason: "malformed" } });
    await expect(registry.trust(operator, "remove", issuer, "agent")).rejects.toMatchObject({
      details: { reason: "malformed" },
      message: expect.stringContaining("not a trust anchor"),
    });
    await expect(registry.trust(operator, "add", issuer, "agent", "x".repeat(501))).rejects.toMatchObject({
      details: { reason: "malformed" },
    });

    const removed = await registry.trust(kit.registryKey, "remove", issuer, "issuer", "retired");
    expect(removed).toMatchObject({ did: issuer, role: "issuer", anchored: false });
    expect((await registry.trustAnchors()).result.map((a) => [a.did, a.role])).toEqual([[member.did, "agent"]]);
    await expect(registry.trust(operator, "remove", issuer, "issuer")).rejects.toMatchObject({
      details: { reason: "malformed" },
    });
  });

  it("two nodes on the mesh list the same anchors; so do one restored from a snapshot and one rebuilt from the log", async () => {
    const mesh = freshMesh();
    const dir = await mkdtemp(join(tmpdir(), "plexus-trust-"));
    dirs.push(dir);
    const first = await kit.node(mesh, { dataDir: dir });
    const second = await kit.node(mesh);
    const client = (await kit.agent(mesh)).registry;
    const anchors = Array.from({ length: 3 }, () => generateKeyPair().did);
    for (const did of anchors) await client.trust(kit.registryKey, "add", did);
    await client.trust(kit.registryKey, "add", anchors[0] as string, "issuer");
    await client.trust(kit.registryKey, "remove", anchors[1] as string);
    await Promise.all([first.waitFor(second.state.seq), second.waitFor(first.state.seq)]);
    const expected = listed(first);
    expect(expected.map((a) => (a as { did: string }).did)).toEqual([anchors[0], anchors[2], anchors[0]]);
    expect(listed(second)).toEqual(expected);

    await first.snapshot();
    await first.stop();
    kit.forget(first);
    const fromSnapshot = await kit.node(mesh, { dataDir: dir });
    const fromLog = await kit.node(mesh);
    expect(fromSnapshot.status().rebuild.fromSnapshot).toBe(true);
    expect(fromLog.status().rebuild.fromSnapshot).toBe(false);
    for (const n of [fromSnapshot, fromLog]) {
      expect(listed(n)).toEqual(expected);
      expect(n.state.trust.toJSON()).toEqual(second.state.trust.toJSON());
    }
    // A removal of an absent anchor in the log (say, two operators at once) is counted and changes nothing.
    expect(fromLog.state.counters["ignored.removeOfAbsentAnchor"] ?? 0).toBe(0);
  });

  it("configured anchors become events once the node caught up: exactly once with two nodes starting with the same flag", async () => {
    const mesh = freshMesh();
    const anchors = [generateKeyPair().did, generateKeyPair().did];
    // One anchor is already in the log: the flag appends nothing for it.
    const seed = await kit.node(mesh);
    await (await kit.agent(mesh)).registry.trust(kit.registryKey, "add", anchors[0] as string, "agent", "by hand");
    await seed.stop();
    kit.forget(seed);

    const [a, b] = await Promise.all([
      kit.node(mesh, { trustAnchors: anchors }),
      kit.node(mesh, { trustAnchors: [...anchors].reverse() }),
    ]);
    await Promise.all([a.waitFor(b.state.seq), b.waitFor(a.state.seq)]);
    const late = await kit.node(mesh, { trustAnchors: anchors });
    const fresh = await kit.node(mesh);
    await fresh.waitFor(late.state.seq);
    // Every TrustAnchorAdded ever appended: the one by hand, and one for the configured anchor that was new.
    expect(added(fresh)).toBe(2);
    expect(fresh.state.counters["ignored.addOfExistingAnchor"] ?? 0).toBe(0);
    // What a node racing the others would append (same registry key, same anchor): JetStream keeps the first; and an
    // add that gets past the window (another message id) is ignored by the projection.
    const did = anchors[1] as string;
    const racing = { role: "agent", by: kit.registryKey.did, reason: "racing" } as const;
    expect((await appendRaw(mesh, did, racing, `anchor-${did}-agent-${kit.registryKey.did}-0`)).duplicate).toBe(true);
    await fresh.waitFor((await appendRaw(mesh, did, racing, "after-the-window")).seq);
    expect(added(fresh)).toBe(3);
    expect(fresh.state.counters["ignored.addOfExistingAnchor"]).toBe(1);
    for (const n of [a, b, late, fresh]) {
      await n.waitFor(fresh.state.seq);
      expect(n.queries.trustAnchors().result).toEqual([
        expect.objectContaining({ did: anchors[0], role: "agent", reason: "by hand" }),
        expect.objectContaining({
          did: anchors[1],
          role: "agent",
          by: kit.registryKey.did,
          reason: "configured at start (--trust-anchor)",
          member: false,
        }),
      ]);
    }

    // Removed by an operator, then a node starts with the flag still given (within JetStream's window): added again.
    await (await kit.agent(mesh)).registry.trust(kit.registryKey, "remove", anchors[1] as string);
    const again = await kit.node(mesh, { trustAnchors: anchors });
    expect([...again.state.trust.agents()]).toEqual([anchors[0], anchors[1]]);
    await fresh.waitFor(again.state.seq);
    expect(added(fresh)).toBe(4);
  });

  it("refuses a configured anchor that is not a did:key before connecting", async () => {
    await expect(kit.node(freshMesh(), { trustAnchors: ["alice"] })).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
    });
  });

  it("an anchored agent that rotates its key stays an anchor under the new DID", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const oldKey = generateKeyPair();
    const newKey = generateKeyPair();
    const agent = await kit.agent(mesh, oldKey);
    await agent.join(card("anchored"));
    const client = agent.registry;
    const { seq } = await client.trust(kit.registryKey, "add", oldKey.did, "agent", "founder");
    await client.trust(kit.registryKey, "add", oldKey.did, "issuer");
    await client.rotate(oldKey, newKey);
    expect(node.queries.trustAnchors().result.map((a) => [a.did, a.role, a.seq === seq])).toEqual([
      [newKey.did, "agent", true],
      [oldKey.did, "issuer", false],
    ]);
    // The old DID names the agent still: a request about it acts on the new one.
    expect(await client.trust(kit.registryKey, "add", oldKey.did)).toMatchObject({ did: newKey.did, seq });
    const replayed = await kit.node(mesh);
    expect(replayed.state.trust.toJSON()).toEqual(node.state.trust.toJSON());
    // Two nodes serve requests now: the remove may have been appended by the other one.
    await node.waitFor((await client.trust(kit.registryKey, "remove", oldKey.did, "agent")).seq);
    expect([...node.state.trust.agents()]).toEqual([]);
    // An add naming the old key, appended by a node that had not seen the rotation yet, anchors the successor.
    await node.waitFor(
      (await appendRaw(mesh, oldKey.did, { role: "agent", by: kit.registryKey.did }, "stale-node")).seq,
    );
    expect([...node.state.trust.agents()]).toEqual([newKey.did]);
  });
});

/** A TrustAnchorAdded signed by the registry's key, published as another node of the mesh would (message id `msgID`). */
async function appendRaw(
  mesh: string,
  did: string,
  data: TrustAnchorChange,
  msgID: string,
): Promise<{ seq: number; duplicate: boolean }> {
  const nc = await connect({ servers: nats.url });
  try {
    const subject = meshSubjects(mesh).registryEvent("TrustAnchorAdded", agentToken(did));
    return await jetstream(nc).publish(
      subject,
      encodeEvent(makeEvent(kit.registryKey, "TrustAnchorAdded", did, data)),
      { msgID },
    );
  } finally {
    await nc.close();
  }
}

/** A trust request with a body the client's types would not allow (to check the registry's own checks). */
async function signed(registry: RegistryClient, key: KeyPair, body: Record<string, unknown>) {
  return signRequest(key, "trust", registry.subjects.mesh, await registry.challenge(key.did), body as never);
}
