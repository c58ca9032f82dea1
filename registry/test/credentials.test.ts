import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { generateKeyPair, issueCapabilityCredential } from "@plexus/identity";
import type { DiscoverResult } from "@plexus/anp";
import { until, useTestServer } from "@plexus/testing";
import type { RegistryNode } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A fine query clock, so expiry shows within a tenth of a second. */
const FINE = { clockStepMs: 100 };
const HOUR = 3_600_000;

async function refusal(p: Promise<unknown>): Promise<{ reason: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isPlexusError(err, ErrorCode.RequestRefused))
      return { reason: String(err.details?.reason), message: err.message };
    throw err;
  }
  throw new Error("expected a refusal");
}

const claimOf = (r: DiscoverResult | undefined, name: string) => r?.claims.find((c) => c.name === name);

/** Two translators (alice, bob) and a certifier that is not an agent of the mesh. */
async function translators(node?: RegistryNode, options = FINE) {
  const mesh = node?.mesh ?? freshMesh();
  const n = node ?? (await kit.node(mesh, options));
  const alice = await kit.agent(mesh);
  const bob = await kit.agent(mesh);
  await alice.join(card("alice", ["translate", "summarise"]));
  await bob.join(card("bob", ["translate"]));
  return { mesh, node: n, alice, bob, certifier: generateKeyPair() };
}

describe("capability credentials in the registry", () => {
  it("an attested capability shows who attests it; verifiedOnly keeps only attested agents, issuer only that attester's", async () => {
    const { node, alice, bob, certifier } = await translators();
    const { jwt, claims } = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
    });
    const attested = await alice.presentCredential(jwt);
    expect(attested).toMatchObject({
      id: claims.id,
      issuer: certifier.did,
      subject: alice.did,
      capabilities: ["translate"],
      expiresAt: claims.expiresAt,
    });
    expect(node.state.counters["events.CredentialAttested"]).toBe(1);

    const all = (await bob.discover({ capability: "translate" })).result;
    expect(all.map((r) => r.did).sort()).toEqual([alice.did, bob.did].sort());
    const a = all.find((r) => r.did === alice.did);
    expect(claimOf(a, "translate")).toEqual({
      name: "translate",
      attested: true,
      attestedBy: [
        { issuer: certifier.did, credentialId: claims.id, issuedAt: claims.issuedAt, expiresAt: claims.expiresAt },
      ],
    });
    expect(claimOf(a, "summarise")).toEqual({ name: "summarise", attested: false, attestedBy: [] });
    expect(
      claimOf(
        all.find((r) => r.did === bob.did),
        "translate",
      ),
    ).toMatchObject({ attested: false });

    expect((await bob.discover({ capability: "translate", verifiedOnly: true })).result.map((r) => r.did)).toEqual([
      alice.did,
    ]);
    // The matched capability must be the attested one: alice's summarise is only self-declared.
    expect((await bob.discover({ capability: "summarise", verifiedOnly: true })).result).toEqual([]);
    expect((await bob.discover({ verifiedOnly: true })).result.map((r) => r.did)).toEqual([alice.did]);
    expect((await bob.discover({ verifiedOnly: true, issuer: certifier.did })).result.map((r) => r.did)).toEqual([
      alice.did,
    ]);
    expect((await bob.discover({ verifiedOnly: true, issuer: generateKeyPair().did })).result).toEqual([]);
    // The agent view carries the same claims.
    expect((await bob.registry.agent(alice.did)).result.claims).toEqual(a?.claims);
  });

  it("the issuer may present it too; a third party may not; a bad credential is refused with its reason", async () => {
    const { node, alice, bob, certifier } = await translators();
    const issuerAgent = await kit.agent((node as RegistryNode).mesh, certifier);
    const forBob = await issueCapabilityCredential(certifier, {
      subject: bob.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
    });
    const third = await refusal(alice.presentCredential(forBob.jwt));
    expect(third.reason).toBe("credential_invalid");
    expect(third.message).toContain("neither its subject nor its issuer");
    expect(await issuerAgent.presentCredential(forBob.jwt)).toMatchObject({ subject: bob.did, issuer: certifier.did });

    const expired = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: 60_000,
      issuedAt: Date.now() - 3 * HOUR,
    });
    expect(await refusal(alice.presentCredential(expired.jwt))).toMatchObject({
      reason: "credential_invalid",
      message: expect.stringContaining("(expired)"),
    });
    const otherAudience = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
      audience: generateKeyPair().did,
    });
    expect(await refusal(alice.presentCredential(otherAudience.jwt))).toMatchObject({
      reason: "credential_invalid",
      message: expect.stringContaining("(wrong_audience)"),
    });
    const otherMesh = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
      mesh: "elsewhere",
    });
    expect(await refusal(alice.presentCredential(otherMesh.jwt))).toMatchObject({
      reason: "credential_invalid",
      message: expect.stringContaining("(wrong_mesh)"),
    });
    const forUs = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
      audience: node.did,
      mesh: node.mesh,
    });
    expect(await alice.presentCredential(forUs.jwt)).toMatchObject({ subject: alice.did });
    const [h, p, s] = forUs.jwt.split(".") as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    payload.vc.credentialSubject.capabilities = ["admin"];
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
    expect(await refusal(alice.presentCredential(tampered))).toMatchObject({
      reason: "credential_invalid",
      message: expect.stringContaining("(bad_signature)"),
    });
    // Counted as the projection applies the RequestRefused events, a moment after the refusals are answered.
    await until(
      () => node.state.counters["refused.credential_invalid"] === 5,
      5_000,
      "five refusals in the projection",
    );
  });

  it("revocation by the issuer stops it counting at the next query; a non-issuer may not revoke; a revoked credential cannot come back", async () => {
    const { node, alice, bob, certifier } = await translators();
    const issuerAgent = await kit.agent(node.mesh, certifier);
    const { jwt, claims } = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
    });
    await alice.presentCredential(jwt);
    expect((await bob.discover({ verifiedOnly: true })).result.map((r) => r.did)).toEqual([alice.did]);

    expect(await refusal(bob.revokeCredential(claims.id))).toMatchObject({ reason: "not_issuer" });
    expect(await refusal(alice.revokeCredential(claims.id, "I would rather not"))).toMatchObject({
      reason: "not_issuer",
    });
    expect((await bob.discover({ verifiedOnly: true })).result.map((r) => r.did)).toEqual([alice.did]);

    const revoked = await issuerAgent.revokeCredential(claims.id, "no longer certified");
    expect(revoked).toMatchObject({ credentialId: claims.id, issuer: certifier.did, revoked: true });
    expect((await bob.discover({ verifiedOnly: true })).result).toEqual([]);
    expect(
      claimOf(
        (await bob.discover({ capability: "translate" })).result.find((r) => r.did === alice.did),
        "translate",
      ),
    ).toMatchObject({ attested: false, attestedBy: [] });
    expect(await issuerAgent.revokeCredential(claims.id)).toMatchObject({ revoked: false, seq: revoked.seq });
    expect(await refusal(alice.presentCredential(jwt))).toMatchObject({
      reason: "credential_invalid",
      message: expect.stringContaining("revoked"),
    });

    // An issuer can revoke a credential before anyone presents it, by showing it; nobody else can, and without the
    // credential the registry cannot tell who issued it.
    const early = await issueCapabilityCredential(certifier, {
      subject: bob.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
    });
    expect(await refusal(issuerAgent.revokeCredential(early.claims.id))).toMatchObject({
      reason: "unknown_credential",
    });
    expect(await refusal(alice.revokeCredential(early.claims.id))).toMatchObject({ reason: "unknown_credential" });
    expect(await refusal(alice.revokeCredential(early.claims.id, "not mine", { credential: early.jwt }))).toMatchObject(
      { reason: "not_issuer" },
    );
    const other = await issueCapabilityCredential(certifier, {
      subject: bob.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
    });
    expect(await refusal(issuerAgent.revokeCredential(early.claims.id, "", { credential: other.jwt }))).toMatchObject({
      reason: "malformed",
    });
    expect(await issuerAgent.revokeCredential(early.claims.id, "", { credential: early.jwt })).toMatchObject({
      revoked: true,
      issuer: certifier.did,
    });
    expect(await refusal(bob.presentCredential(early.jwt))).toMatchObject({ reason: "credential_invalid" });
    expect(node.state.counters["events.CredentialRevoked"]).toBe(2);
  });

  it("an expired capability credential stops counting when it expires, without any event", async () => {
    const { node, alice, bob, certifier } = await translators();
    const { jwt, claims } = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate"],
      ttlMs: 2_500,
    });
    await alice.presentCredential(jwt);
    expect(claims.expiresAt).toBeGreaterThan(Date.now());
    expect((await bob.discover({ verifiedOnly: true })).result.map((r) => r.did)).toEqual([alice.did]);
    const events = node.state.counters["events.CredentialAttested"];
    await until(() => Date.now() > claims.expiresAt + FINE.clockStepMs, 5_000, "the credential's expiry");
    expect((await bob.discover({ verifiedOnly: true })).result).toEqual([]);
    expect((await bob.registry.agent(alice.did)).result.claims.find((c) => c.name === "translate")).toMatchObject({
      attested: false,
    });
    expect(node.state.counters["events.CredentialAttested"]).toBe(events);
    expect(node.state.counters["events.CredentialRevoked"]).toBeUndefined();
  });

  it("the registry revokes a membership credential: the member leaves discovery until it joins again", async () => {
    const { node, alice, bob } = await translators();
    const membership = alice.registry;
    const credentialId = (await membership.agent(alice.did)).result.credential.id;
    expect(await refusal(bob.revokeCredential(credentialId))).toMatchObject({ reason: "not_issuer" });
    expect(await membership.revoke(kit.registryKey, credentialId, "misbehaving")).toMatchObject({
      issuer: node.did,
      revoked: true,
    });
    expect((await bob.discover({ capability: "translate" })).result.map((r) => r.did)).toEqual([bob.did]);
    expect((await bob.registry.agent(alice.did)).result.credential).toMatchObject({
      id: credentialId,
      status: "revoked",
    });

    const rejoined = await alice.join(card("alice", ["translate", "summarise"]));
    expect(rejoined.credentialId).not.toBe(credentialId);
    expect((await bob.discover({ capability: "translate" })).result.map((r) => r.did).sort()).toEqual(
      [alice.did, bob.did].sort(),
    );
    expect((await bob.registry.agent(alice.did)).result.credential.status).toBe("valid");
  });

  it("attestations and revocations survive a rebuild from the log and from a snapshot", async () => {
    const mesh = freshMesh();
    const dir = await mkdtemp(join(tmpdir(), "plexus-credentials-"));
    dirs.push(dir);
    const first = await kit.node(mesh, { ...FINE, dataDir: dir });
    const { alice, bob, certifier } = await translators(first);
    const issuerAgent = await kit.agent(mesh, certifier);
    const kept = await issueCapabilityCredential(certifier, {
      subject: alice.did,
      capabilities: ["translate", "summarise"],
      ttlMs: HOUR,
    });
    const dropped = await issueCapabilityCredential(certifier, {
      subject: bob.did,
      capabilities: ["translate"],
      ttlMs: HOUR,
    });
    await alice.presentCredential(kept.jwt);
    await bob.presentCredential(dropped.jwt);
    await issuerAgent.revokeCredential(dropped.claims.id);
    const bobMembership = (await bob.registry.agent(bob.did)).result.credential.id;
    await bob.registry.revoke(kit.registryKey, bobMembership);
    await first.snapshot();

    const query = { capability: "translate", verifiedOnly: true } as const;
    const expected = first.queries.discover(query).result.map((r) => [r.did, r.claims]);
    expect(expected).toEqual([
      [alice.did, expect.arrayContaining([expect.objectContaining({ name: "translate", attested: true })])],
    ]);
    const fromLog = await kit.node(mesh, FINE);
    const fromSnapshot = await kit.node(mesh, { ...FINE, dataDir: dir });
    expect(fromSnapshot.status().rebuild.fromSnapshot).toBe(true);
    for (const n of [fromLog, fromSnapshot]) {
      expect(n.state.credentials.isRevoked(certifier.did, dropped.claims.id)).toBe(true);
      expect(n.state.credentials.membershipRevoked(bob.did)).toBe(true);
      expect(n.queries.discover(query).result.map((r) => [r.did, r.claims])).toEqual(expected);
      expect(n.queries.agent(bob.did).result.credential.status).toBe("revoked");
    }
  });

  it("HTTP: /v1/discover?verifiedOnly=true (and verified_only, issuer)", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, { ...FINE, http: { host: "127.0.0.1", port: 0 } });
    const { alice, certifier } = await translators(node);
    await alice.presentCredential(
      (await issueCapabilityCredential(certifier, { subject: alice.did, capabilities: ["translate"], ttlMs: HOUR }))
        .jwt,
    );
    const get = async (qs: string) => {
      const res = await fetch(`${node.httpUrl}/v1/discover?${qs}`);
      return { status: res.status, body: (await res.json()) as { data: DiscoverResult[] } };
    };
    expect((await get("capability=translate")).body.data).toHaveLength(2);
    expect((await get("capability=translate&verifiedOnly=true")).body.data.map((r) => r.did)).toEqual([alice.did]);
    expect((await get("capability=translate&verified_only=true")).body.data.map((r) => r.did)).toEqual([alice.did]);
    expect(
      (await get(`capability=translate&issuer=${encodeURIComponent(certifier.did)}`)).body.data.map((r) => r.did),
    ).toEqual([alice.did]);
    expect((await get(`issuer=${encodeURIComponent(generateKeyPair().did)}`)).body.data).toEqual([]);
    expect((await get("verifiedOnly=yes")).status).toBe(400);
  });
});
