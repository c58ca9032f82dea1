/**
 * The registry and credentials built by an independent JOSE library (panva/jose): `attest` refuses a `crit` header
 * (RFC 7515 §4.1.11) and every hostile variant, and the `credential-status` query tells a verifier the mesh's registry
 * keys and whether a credential (issuer + id) is recorded and revoked.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { generateKeyPair, keyPairFromSeed } from "@plexus/identity";
import { RegistryOp } from "@plexus/anp/internal";
import {
  critTokens,
  hostileTokens,
  joseCapability,
  joseKey,
  joseSeed,
  vcPayload,
  useTestServer,
} from "@plexus/testing";
import { JOSE_CAPABILITY_TYPE } from "@plexus/testing/internal";
import { rotateRegistryKey } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

async function refusal(p: Promise<unknown>): Promise<{ code: string; reason: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isPlexusError(err)) return { code: err.code, reason: String(err.details?.reason), message: err.message };
    throw err;
  }
  throw new Error("expected a refusal");
}

async function member(capabilities = ["translate"]) {
  const mesh = freshMesh();
  const node = await kit.node(mesh);
  const alice = await kit.agent(mesh);
  await alice.join(card("alice", capabilities));
  return { mesh, node, alice };
}

describe("attest with jose-built credentials", () => {
  it("accepts a valid one (also addressed to the registry), refuses crit in every spelling and every hostile variant", async () => {
    const { node, alice } = await member();
    const [certifier, attacker] = await Promise.all([joseKey(), joseKey()]);
    expect(await alice.presentCredential(await joseCapability(certifier, alice.did, ["translate"]))).toMatchObject({
      issuer: certifier.did,
      subject: alice.did,
    });
    expect(
      await alice.presentCredential(await joseCapability(certifier, alice.did, ["translate"], { aud: node.did })),
    ).toMatchObject({ issuer: certifier.did });

    const payload = vcPayload({
      issuer: certifier.did,
      subject: alice.did,
      type: JOSE_CAPABILITY_TYPE,
      claims: { capabilities: ["translate"] },
    });
    const tokens = [...(await critTokens(certifier, payload)), ...(await hostileTokens(certifier, attacker, payload))];
    for (const t of tokens) {
      const r = await refusal(alice.presentCredential(t.jwt));
      expect(r.reason, t.name).toBe("credential_invalid");
      expect(r.message, t.name).toContain(`(${t.reason})`);
    }
    expect(node.state.counters["events.CredentialAttested"]).toBe(2);
  });
});

describe("credential-status", () => {
  it("names the registry keys; says whether a credential is recorded and revoked, by whom and why", async () => {
    const { node, alice } = await member();
    const certifier = await joseKey();
    const jwt = await joseCapability(certifier, alice.did, ["translate"]);
    const id = JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString()).jti as string;

    const before = await alice.registry.credentialStatus(id, certifier.did);
    expect(before.result).toEqual({
      id,
      issuer: certifier.did,
      registryKeys: [node.did],
      retiredRegistryKeys: [],
      known: false,
      recordedAs: [],
      holders: [],
      revoked: false,
    });
    expect(before.asOf.seq).toBeGreaterThan(0);

    await alice.presentCredential(jwt);
    expect((await alice.registry.credentialStatus(id, certifier.did)).result).toMatchObject({
      known: true,
      recordedAs: ["attestation"],
      revoked: false,
    });
    // Ids are chosen by issuers: the same id from another issuer is another credential.
    expect((await alice.registry.credentialStatus(id, alice.did)).result).toMatchObject({
      known: false,
      revoked: false,
    });

    const membership = (await alice.registry.agent(alice.did)).result.credential.id;
    expect((await alice.registry.credentialStatus(membership, node.did)).result).toMatchObject({
      known: true,
      recordedAs: ["membership"],
      revoked: false,
    });
    const revoked = await alice.registry.revoke(kit.registryKey, membership, "misbehaving");
    const after = (await alice.registry.credentialStatus(membership, node.did)).result;
    expect(after).toMatchObject({
      revoked: true,
      revocation: { revokedBy: node.did, reason: "misbehaving", seq: revoked.seq },
    });
    expect(after.revocation?.at).toBeGreaterThan(Date.now() - 60_000);
    expect(after.suspended).toBeUndefined();
  });

  it("names the suspension of the agent whose membership credential it is", async () => {
    const { node, alice } = await member();
    const membership = (await alice.registry.agent(alice.did)).result.credential.id;
    expect((await alice.registry.credentialStatus(membership, node.did)).result.suspended).toBeUndefined();
    const { seq } = await alice.registry.suspend(kit.registryKey, alice.did, "spamming");
    expect((await alice.registry.credentialStatus(membership, node.did)).result).toMatchObject({
      revoked: false,
      suspended: { agent: alice.did, by: node.did, reason: "spamming", seq },
    });
    await alice.registry.resume(kit.registryKey, alice.did);
    expect((await alice.registry.credentialStatus(membership, node.did)).result.suspended).toBeUndefined();
  });

  it("after a registry key rotation: the new key is the registry key, the old one retired at the rotation's position", async () => {
    const { mesh, node, alice } = await member();
    const membership = (await alice.registry.agent(alice.did)).result.credential.id;
    const newKey = generateKeyPair();
    const nc = await connect({ servers: nats.url });
    try {
      const rotation = await rotateRegistryKey(nc, mesh, kit.registryKey, newKey);
      await node.waitFor(rotation.seq);
      await node.stop();
      kit.forget(node);
      const second = await kit.node(mesh, { key: newKey });
      const status = (await alice.registry.credentialStatus(membership, kit.registryKey.did)).result;
      expect(second.did).toBe(newKey.did);
      expect(status).toMatchObject({
        registryKeys: [newKey.did],
        retiredRegistryKeys: [{ did: kit.registryKey.did, seq: rotation.seq }],
        known: true,
        recordedAs: ["membership"],
        revoked: false,
      });
    } finally {
      await nc.close();
    }
  });

  it("after an agent's key rotation: its credentials are held by its new DID; what its old key issued names where it went", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const aliceJose = await joseKey();
    const aliceKey = keyPairFromSeed(await joseSeed(aliceJose));
    const [alice, bob] = [await kit.agent(mesh, aliceKey), await kit.agent(mesh)];
    await Promise.all([alice.join(card("alice")), bob.join(card("bob", ["translate"]))]);
    const membership = (await alice.registry.agent(alice.did)).result.credential.id;
    const presented = await bob.presentCredential(await joseCapability(aliceJose, bob.did, ["translate"]));
    const unpresented = JSON.parse(
      Buffer.from(
        (await joseCapability(aliceJose, bob.did, ["translate"])).split(".")[1] as string,
        "base64url",
      ).toString(),
    ).jti as string;
    expect((await bob.registry.credentialStatus(membership, node.did)).result).toMatchObject({ holders: [alice.did] });
    expect((await bob.registry.credentialStatus(presented.id, alice.did)).result).toMatchObject({ holders: [bob.did] });
    expect((await bob.registry.credentialStatus(presented.id, alice.did)).result.issuerRotatedTo).toBeUndefined();

    const newKey = generateKeyPair();
    await bob.registry.rotate(aliceKey, newKey);
    expect((await bob.registry.credentialStatus(membership, node.did)).result).toMatchObject({
      known: true,
      holders: [newKey.did],
    });
    expect((await bob.registry.credentialStatus(presented.id, alice.did)).result).toMatchObject({
      known: true,
      holders: [bob.did],
      issuerRotatedTo: newKey.did,
    });
    expect((await bob.registry.credentialStatus(unpresented, alice.did)).result).toMatchObject({
      known: false,
      holders: [],
      issuerRotatedTo: newKey.did,
    });
  });

  it("refuses a malformed query with INVALID_ARGUMENT", async () => {
    const { alice } = await member();
    for (const payload of [
      {},
      { id: "x" },
      { id: "", issuer: "did:key:z6Mk" },
      { id: "x".repeat(201), issuer: "did:key:z6Mk" },
      { id: "x", issuer: "not-a-did" },
      { id: "x", issuer: "did:key:z6Mk", more: 1 },
    ]) {
      expect(
        await refusal(alice.registry.call(RegistryOp.CredentialStatus, payload)),
        JSON.stringify(payload),
      ).toMatchObject({ code: ErrorCode.InvalidArgument });
    }
  });
});
