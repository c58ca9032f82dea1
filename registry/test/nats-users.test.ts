import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "@plexus/anp";
import { connectBus, unrevokeUser, userPublicKeyOfDid } from "@plexus/bus";
import { BOOTSTRAP_INBOX_PREFIX, revokedUsers, userClaims } from "@plexus/bus/internal";
import { ErrorCode } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { Agent, type Delivery } from "@plexus/sdk";
import { until, useTestServer } from "@plexus/testing";
import { startRegistryNode, type RegistryNode, type RegistryNodeOptions } from "../src/index.js";
import { card, freshMesh } from "./fixtures.js";

const nats = useTestServer({ operator: true });
const nodes: RegistryNode[] = [];
const agents: Agent[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.allSettled(agents.splice(0).map((a) => a.close()));
  await Promise.allSettled(conns.splice(0).map((c) => c.close()));
  await Promise.allSettled(nodes.splice(0).map((n) => n.stop()));
});

async function node(mesh: string, options: Partial<RegistryNodeOptions> = {}): Promise<RegistryNode> {
  const n = await startRegistryNode({
    nats: nats.url,
    mesh,
    key: generateKeyPair(),
    http: false,
    refreshMs: 0,
    natsAuth: await nats.server.auth.mesh(mesh),
    ...options,
  });
  nodes.push(n);
  return n;
}

async function agent(mesh: string, key: KeyPair = generateKeyPair(), via: "creds" | "dir" = "creds"): Promise<Agent> {
  const auth = await nats.server.auth.mesh(mesh);
  const a = await Agent.connect({
    key,
    nats: nats.url,
    mesh,
    natsAuth: via === "creds" ? { bootstrapCreds: auth.bootstrapCreds } : { authDir: auth.dir },
  });
  agents.push(a);
  return a;
}

/** Status events of a connection, as text. */
function watch(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) seen.push(s.type === "error" ? `error: ${(s.error as Error).message}` : s.type);
  })();
  return seen;
}

describe("agents on a NATS server in operator mode", () => {
  it("bootstrap → own user JWT → join → messages both ways → the JWT is renewed before it expires", async () => {
    const mesh = freshMesh();
    const registry = await node(mesh, { natsUserTtlMs: 3_000 });
    const [alice, bob] = await Promise.all([agent(mesh), agent(mesh, generateKeyPair(), "dir")]);
    // Each agent connected with its own user JWT: bound to its key, expiring in 3 s.
    for (const a of [alice, bob]) {
      const grant = a.natsSession!.grant;
      expect(userClaims(grant.jwt).sub).toBe(userPublicKeyOfDid(a.did));
      expect(grant.expiresAt - Date.now()).toBeLessThanOrEqual(3_000);
    }
    const joined = await alice.join(card("alice"));
    expect(userClaims(joined.natsJwt!).sub).toBe(userPublicKeyOfDid(alice.did));
    expect(joined.natsJwtExpiresAt).toBeGreaterThan(Date.now());
    await bob.join(card("bob"));

    const seenByAlice = watch(alice.natsSession!.nc);
    const got: Delivery[] = [];
    await bob.listen(async (d) => {
      got.push(d);
      if (d.type === "ping") await bob.reply(d, { pong: d.body });
    });
    const sent = await alice.send(bob.did, "hello", { awaitReceipt: true });
    expect(sent.receipt?.status).toBe("processed");
    const answer = await alice.request(bob.did, 1, { type: "ping" });
    expect(answer.body).toEqual({ pong: 1 });

    // Past two lifetimes of the first JWT: renewed over the agent's own connection, which never closed.
    await until(() => alice.natsSession!.renewals >= 2 && bob.natsSession!.renewals >= 2, 10_000, "two renewals");
    expect(alice.natsSession!.grant.expiresAt).toBeGreaterThan(Date.now());
    const later = await alice.request(bob.did, 2, { type: "ping", timeoutMs: 10_000 });
    expect(later.body).toEqual({ pong: 2 });
    expect(got.map((d) => d.body)).toEqual(["hello", 1, 2]);
    expect(alice.natsSession!.nc.isClosed()).toBe(false);
    // Heart-beats go through too (the agent may put its own key in the heartbeat bucket), and its own records.
    await until(() => (registry.status().counters["heartbeats"] ?? 0) >= 2, 10_000, "heartbeats");
    expect((await alice.rejected()).total).toBe(0);
    expect(seenByAlice.filter((s) => /expired|authorization/i.test(s))).toEqual([]);
  }, 30_000);

  it("the kill switch: a suspended agent is cut off within a second and gets no new JWT; resumed, it connects again", async () => {
    const mesh = freshMesh();
    const operator = generateKeyPair();
    await node(mesh, { operators: [operator.did] });
    const victimKey = generateKeyPair();
    const [a, victim] = await Promise.all([agent(mesh), agent(mesh, victimKey)]);
    await Promise.all([a.join(card("a")), victim.join(card("victim"))]);
    const seen = watch(victim.natsSession!.nc);
    const closed = victim.natsSession!.nc.closed();

    const started = Date.now();
    await a.registry.suspend(operator, victim.did, "leaked key");
    await until(() => seen.some((s) => /revoked/i.test(s)), 1_000, "the server to revoke the victim");
    expect(Date.now() - started).toBeLessThan(1_500);
    await closed;
    // Neither a new JWT (the registry refuses) nor a connection with the old one.
    await expect(agent(mesh, victimKey)).rejects.toMatchObject({
      code: ErrorCode.RequestRefused,
      details: { reason: "suspended" },
    });
    await a.send(a.did, "the others are fine");

    await a.registry.resume(operator, victim.did, "key replaced");
    const back = await agent(mesh, victimKey);
    await back.send(a.did, "back");
  }, 30_000);

  it("a key rotated away loses its NATS user at once; a node started after a lost revocation repairs it from the log", async () => {
    const mesh = freshMesh();
    const operator = generateKeyPair();
    const registryKey = generateKeyPair();
    const first = await node(mesh, { key: registryKey, operators: [operator.did] });
    const [oldKey, newKey, victimKey] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const [a, old, victim] = await Promise.all([agent(mesh), agent(mesh, oldKey), agent(mesh, victimKey)]);
    await Promise.all([a.join(card("a")), old.join(card("rotating")), victim.join(card("victim"))]);
    const seen = watch(old.natsSession!.nc);
    await a.registry.rotate(oldKey, newKey);
    await until(() => seen.some((s) => /revoked/i.test(s)), 5_000, "the old key's user to be revoked");
    await expect(agent(mesh, oldKey)).rejects.toMatchObject({ details: { reason: "rotated" } });
    const renewed = await agent(mesh, newKey);
    await renewed.send(a.did, "under my new key");

    // The victim is suspended, then its revocation is lost (as if the node died before pushing it).
    await a.registry.suspend(operator, victim.did, "compromised");
    const auth = await nats.server.auth.mesh(mesh);
    await unrevokeUser({ auth, servers: nats.url, did: victim.did });
    await first.stop();
    nodes.splice(nodes.indexOf(first), 1);
    const before = await revokedUsers({ auth, servers: nats.url });
    expect(before[userPublicKeyOfDid(victim.did)]).toBeUndefined();
    await node(mesh, { key: registryKey, operators: [operator.did] });
    const after = await revokedUsers({ auth, servers: nats.url });
    expect(after[userPublicKeyOfDid(victim.did)]).toBeDefined();
    expect(after[userPublicKeyOfDid(oldKey.did)]).toBeDefined();
    expect(after[userPublicKeyOfDid(a.did)]).toBeUndefined();
  }, 30_000);

  it("the bootstrap user may only ask for a challenge and a user JWT", async () => {
    const mesh = freshMesh();
    await node(mesh);
    const auth = await nats.server.auth.mesh(mesh);
    const nc = await connectBus({
      servers: nats.url,
      credentials: { creds: auth.bootstrapCreds },
      inboxPrefix: BOOTSTRAP_INBOX_PREFIX,
    });
    conns.push(nc);
    const seen = watch(nc);
    const registry = new RegistryClient(nc, mesh, { timeoutMs: 1_000 });
    const key = generateKeyPair();
    expect(userClaims((await registry.natsUser(key)).jwt).sub).toBe(userPublicKeyOfDid(key.did));
    await expect(registry.discover({})).rejects.toMatchObject({ code: ErrorCode.RegistryUnavailable });
    nc.publish(`plexus.${mesh}.acp.inbox.x.y`, "spoof");
    nc.subscribe("_INBOX.>");
    await until(
      () => seen.filter((s) => /Permissions Violation/.test(s)).length >= 3,
      3_000,
      "three permission violations",
    );
    expect(seen.filter((s) => /Permissions Violation/.test(s))).toEqual([
      `error: Permissions Violation for Publish to "plexus-registry.${mesh}.discover"`,
      `error: Permissions Violation for Publish to "plexus.${mesh}.acp.inbox.x.y"`,
      'error: Permissions Violation for Subscription to "_INBOX.>"',
    ]);
  });

  it("a registry node without the mesh's service creds cannot reach a server in operator mode", async () => {
    const plain = await startRegistryNode({
      nats: nats.url,
      mesh: freshMesh(),
      key: generateKeyPair(),
      http: false,
    }).catch((e: Error) => e);
    expect(plain).toBeInstanceOf(Error);
    expect((plain as { code?: string }).code).toBe(ErrorCode.RequestRefused);
  });
});

describe("an agent given bootstrap credentials on an open server", () => {
  const open = useTestServer();

  it("connects plainly: there is no user JWT to get", async () => {
    const auth = await nats.server.auth.mesh(freshMesh());
    const mesh = freshMesh();
    const a = await Agent.connect({
      key: generateKeyPair(),
      nats: open.url,
      mesh,
      natsAuth: { bootstrapCreds: auth.bootstrapCreds },
    });
    agents.push(a);
    expect(a.natsSession).toBeUndefined();
    await a.send(a.did, "to myself");
  });
});
