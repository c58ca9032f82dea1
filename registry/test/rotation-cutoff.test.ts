import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Liveness } from "@plexus/anp";
import { RejectionReason } from "@plexus/core";
import { generateKeyPair, issueCapabilityCredential } from "@plexus/identity";
import type { Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import { card, converse, freshMesh, meshKit } from "./fixtures.js";

/**
 * Issue 16 on an open server (`--no-auth`), where nothing but the log stops a rotated-away key: after KeyRotated,
 * nothing new the old key signs counts (credentials it issues, ratings, requests, envelopes), `--compromised`
 * revokes what it issued before in the same event, and the switch never costs the agent liveness or reputation.
 */
const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const FAST = { heartbeatIntervalMs: 100, suspectAfterMs: 400, offlineAfterMs: 800, goneAfterMs: 5_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("after a key rotation, nothing new the old key signs counts (open server)", () => {
  it("refuses the old key's credentials, ratings and envelopes; what it sent before the rotation is still delivered", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const bKey = generateKeyPair();
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey), kit.agent(mesh)]);
    await Promise.all([a.join(card("a", ["shop"])), b.join(card("b", ["translate"])), c.join(card("c", ["review"]))]);
    await converse(a, b, "ab");
    // Issued by the old key before the rotation and recorded: keeps counting (the rotation is not marked compromised).
    const before = await issueCapabilityCredential(bKey, {
      subject: c.did,
      capabilities: ["review"],
      ttlMs: 3_600_000,
    });
    await c.presentCredential(before.jwt);
    // Issued before the rotation but presented after it: the log cannot tell when a key signed, so it is refused too.
    const unpresented = await issueCapabilityCredential(bKey, {
      subject: a.did,
      capabilities: ["shop"],
      ttlMs: 3_600_000,
    });
    const early = await b.send(c.did, { n: "before" }, { conversation: "bc" });

    const newKey = generateKeyPair();
    const moved = await a.registry.rotate(bKey, newKey);
    expect(moved).toMatchObject({ from: bKey.did, to: newKey.did });

    // A credential the old key issues after the rotation, presented by its subject: refused as rotated_key.
    const after = await issueCapabilityCredential(bKey, { subject: a.did, capabilities: ["shop"], ttlMs: 3_600_000 });
    await expect(a.presentCredential(after.jwt)).rejects.toMatchObject({ details: { reason: "rotated_key" } });
    await expect(a.presentCredential(unpresented.jwt)).rejects.toMatchObject({ details: { reason: "rotated_key" } });
    // Its requests (a rating, a revocation) are refused as signed by a rotated key.
    await expect(b.rate({ ratee: a.did, conversation: "ab", score: 1, factor: "quality" })).rejects.toMatchObject({
      details: { reason: "rotated" },
    });
    // Discovery: the old key attests nothing new; what it attested before stays.
    const shop = (await a.discover({ capability: "shop" })).result.find((r) => r.did === a.did);
    expect(shop?.claims.find((x) => x.name === "shop")?.attestedBy ?? []).toEqual([]);
    const review = (await a.discover({ capability: "review" })).result.find((r) => r.did === c.did);
    expect(review?.claims.find((x) => x.name === "review")?.attestedBy.map((x) => x.issuer)).toEqual([bKey.did]);

    // An envelope the old key signs after the rotation (nothing on an open server stops it from publishing).
    const late = await b.send(c.did, { n: "after" }, { conversation: "bc" });
    expect(late.streamSeq).toBeGreaterThan(moved.seq);
    const got: Delivery[] = [];
    await c.listen(async (d) => void got.push(d));
    await until(
      async () => (await c.rejected()).records.some((r) => r.streamSeq === late.streamSeq),
      10_000,
      "the late message's rejection record",
    );
    const record = (await c.rejected()).records.find((r) => r.streamSeq === late.streamSeq)!;
    expect(record).toMatchObject({ reason: RejectionReason.RotatedKey, from: bKey.did });
    expect(record.detail).toContain(newKey.did);
    await until(() => got.length === 1, 5_000, "the message sent before the rotation");
    expect(got.map((d) => d.id)).toEqual([early.id]);
    // The registry's own verdict, in log order, agrees.
    await until(
      () => (node.state.counters[`evidence.refusedMessages.${RejectionReason.RotatedKey}`] ?? 0) === 1,
      5_000,
      "the registry's verdict",
    );
    expect(node.state.counters["ignored.attestationByRotatedKey"]).toBeUndefined();

    // The key it rotated to may withdraw what the old key issued; the old key may not.
    await expect(b.revokeCredential(before.claims.id)).rejects.toMatchObject({ details: { reason: "rotated" } });
    const b2 = await kit.agent(mesh, newKey);
    expect(await b2.revokeCredential(before.claims.id, "issued by my old key")).toMatchObject({
      revoked: true,
      issuer: bKey.did,
    });
  });

  it("the cut-off holds after a rebuild from the log and from a snapshot", async () => {
    const mesh = freshMesh();
    const dir = await mkdtemp(join(tmpdir(), "plexus-rotation-"));
    dirs.push(dir);
    const first = await kit.node(mesh, { dataDir: dir });
    const bKey = generateKeyPair();
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey)]);
    await Promise.all([a.join(card("a", ["shop"])), b.join(card("b"))]);
    const moved = await a.registry.rotate(bKey, generateKeyPair(), { compromised: true });
    await first.snapshot();
    const fromLog = await kit.node(mesh);
    const fromSnapshot = await kit.node(mesh, { dataDir: dir });
    expect(fromSnapshot.status().rebuild.fromSnapshot).toBe(true);
    const late = await issueCapabilityCredential(bKey, { subject: a.did, capabilities: ["shop"], ttlMs: 3_600_000 });
    for (const n of [first, fromLog, fromSnapshot]) {
      expect(n.state.identity.rotations.get(bKey.did)).toMatchObject({ seq: moved.seq, compromised: true });
      expect(n.state.identity.rotatedBefore(bKey.did, moved.seq + 1)).toBeDefined();
      expect(n.state.identity.rotatedBefore(bKey.did, moved.seq)).toBeUndefined();
    }
    await expect(a.presentCredential(late.jwt)).rejects.toMatchObject({ details: { reason: "rotated_key" } });
  });

  it("--compromised revokes every credential the old key issued, in the rotation event itself", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const bKey = generateKeyPair();
    const [a, b, c] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey), kit.agent(mesh)]);
    await Promise.all([a.join(card("a", ["shop"])), b.join(card("b")), c.join(card("c", ["review"]))]);
    const issued = [
      await issueCapabilityCredential(bKey, { subject: c.did, capabilities: ["review"], ttlMs: 3_600_000 }),
      await issueCapabilityCredential(bKey, { subject: a.did, capabilities: ["shop"], ttlMs: 3_600_000 }),
    ];
    await c.presentCredential(issued[0]!.jwt);
    await a.presentCredential(issued[1]!.jwt);
    // Someone else's credential about c stays.
    const other = await issueCapabilityCredential(generateKeyPair(), {
      subject: c.did,
      capabilities: ["review"],
      ttlMs: 3_600_000,
    });
    await c.presentCredential(other.jwt);
    const eventsBefore = node.state.counters["events.CredentialRevoked"] ?? 0;

    const moved = await a.registry.rotate(bKey, generateKeyPair(), { compromised: true });
    expect(moved.revoked).toBe(2);
    await until(() => node.state.seq >= moved.seq, 5_000, "the rotation applied");
    for (const { claims } of issued)
      expect(node.state.credentials.revocation(bKey.did, claims.id)).toMatchObject({
        seq: moved.seq,
        revokedBy: bKey.did,
      });
    expect(node.state.counters["events.CredentialRevoked"] ?? 0).toBe(eventsBefore); // one event: the rotation
    const review = (await a.discover({ capability: "review" })).result.find((r) => r.did === c.did);
    expect(review?.claims.find((x) => x.name === "review")?.attestedBy.map((x) => x.issuer)).toEqual([
      other.claims.issuer,
    ]);
    void b;
  });

  it("carries liveness over the switch: no lapse, the same score; beats under the old key stop counting at the rotation", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, FAST);
    const bKey = generateKeyPair();
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey)]);
    await Promise.all([a.join(card("a")), b.join(card("b"))]);
    for (let i = 0; i < 3; i++) await converse(a, b, `ab-${i}`);
    await sleep(1_200); // past every threshold: only beats keep b alive
    await until(() => node.state.seq > 0 && node.state.agents.get(b.did)?.liveness === "alive", 5_000, "b alive");
    const scoreBefore = (await a.registry.reputation(b.did)).result.score;
    const lapses = (): number => node.state.counters["events.LivenessChanged"] ?? 0;
    const lapsesBefore = lapses();

    // The rotation, then a gap before the agent's process comes back on the new key (shorter than the suspect threshold).
    const newKey = generateKeyPair();
    const moved = await a.registry.rotate(bKey, newKey);
    await sleep(250);
    await b.close();
    const b2 = await kit.agent(mesh, newKey);
    await b2.join(card("b"));
    await sleep(1_200);
    const record = node.state.agents.get(newKey.did);
    expect(record?.liveness).toBe("alive");
    expect(lapses()).toBe(lapsesBefore);
    const scoreAfter = (await a.registry.reputation(newKey.did)).result.score;
    expect(Math.abs(scoreAfter - scoreBefore)).toBeLessThan(0.001);
    expect(moved.seq).toBeGreaterThan(0);
  });

  it("does not keep the new key alive on the old key's beats after the rotation", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, FAST);
    const bKey = generateKeyPair();
    const [a, b] = await Promise.all([kit.agent(mesh), kit.agent(mesh, bKey)]);
    await Promise.all([a.join(card("a")), b.join(card("b"))]);
    await sleep(900);
    const newKey = generateKeyPair();
    await a.registry.rotate(bKey, newKey);
    // b keeps beating under the old key (a thief's process, say) and nobody beats under the new one.
    const seen: Liveness[] = [];
    await until(
      () => {
        const l = node.state.agents.get(newKey.did)?.liveness;
        if (l && seen.at(-1) !== l) seen.push(l);
        return l === "offline";
      },
      5_000,
      "the new key offline",
    );
    expect(seen).toEqual(["alive", "suspect", "offline"].slice(seen[0] === "alive" ? 0 : 1));
    void b;
  });
});
