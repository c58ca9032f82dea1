import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "../src/index.js";
import { connectBus, issueAgentUser, revokeUser, unrevokeUser, userPublicKeyOfDid, userSeedOf } from "@plexus/bus";
import { agentInboxPrefix, revokedUsers } from "@plexus/bus/internal";

const nats = useTestServer({ operator: true });
const open: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of open.splice(0)) await nc.close().catch(() => undefined);
});

async function connectWith(_mesh: string, jwt: string, seed: Uint8Array, did: string): Promise<NatsConnection> {
  const nc = await connectBus({
    servers: nats.url,
    credentials: { jwt: () => jwt, seed },
    inboxPrefix: agentInboxPrefix(did),
    connectTimeoutMs: 2_000,
  });
  open.push(nc);
  return nc;
}

describe("revoking an agent's NATS user", () => {
  it("cuts a connected agent off within a second, refuses it while revoked, and lets a new JWT in once un-revoked", async () => {
    const auth = await nats.server.auth.mesh("revoke1");
    const key = generateKeyPair();
    const seed = userSeedOf(key.exportSeed());
    const grant = await issueAgentUser({ mesh: "revoke1", did: key.did, accountKey: auth.accountKey });
    const nc = await connectWith("revoke1", grant.jwt, seed, key.did);
    const other = await nats.server.auth.connectAgent("revoke1", generateKeyPair());
    // The agent's connection works before.
    await nc.flush();

    const closedAt = nc.closed().then(() => Date.now());
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status())
        statuses.push(s.type === "error" ? `error ${(s.error as Error).message}` : s.type);
    })();
    const started = Date.now();
    await revokeUser({ auth, servers: nats.url, did: key.did });
    // The server closes its connection at once; the client's reconnects are refused, so it gives up and closes.
    await expect.poll(() => statuses.some((s) => /revoked/i.test(s)), { timeout: 1_000, interval: 10 }).toBe(true);
    expect(statuses.some((s) => /revoked/i.test(s))).toBe(true);
    const revokedAfter = Date.now() - started;
    expect(revokedAfter).toBeLessThan(1_000);
    expect(await closedAt).toBeGreaterThan(started);
    expect(await revokedUsers({ auth, servers: nats.url })).toHaveProperty(userPublicKeyOfDid(key.did));

    // Neither the old JWT nor one issued later connects while the key is revoked; another agent is not affected.
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(connectWith("revoke1", grant.jwt, seed, key.did)).rejects.toThrow(/Authorization/i);
    const fresh = await issueAgentUser({ mesh: "revoke1", did: key.did, accountKey: auth.accountKey });
    await expect(connectWith("revoke1", fresh.jwt, seed, key.did)).rejects.toThrow(/Authorization/i);
    await other.flush();
    expect(other.isClosed()).toBe(false);

    await unrevokeUser({ auth, servers: nats.url, did: key.did });
    expect(await revokedUsers({ auth, servers: nats.url })).not.toHaveProperty(userPublicKeyOfDid(key.did));
    const after = await issueAgentUser({ mesh: "revoke1", did: key.did, accountKey: auth.accountKey });
    const back = await connectWith("revoke1", after.jwt, seed, key.did);
    await back.flush();
    expect(back.isClosed()).toBe(false);
  });

  it("refuses an expired user JWT at connect", async () => {
    const auth = await nats.server.auth.mesh("revoke2");
    const key = generateKeyPair();
    const expired = await issueAgentUser({
      mesh: "revoke2",
      did: key.did,
      accountKey: auth.accountKey,
      ttlMs: 1_000,
      now: Date.now() - 10_000,
    });
    await expect(connectWith("revoke2", expired.jwt, userSeedOf(key.exportSeed()), key.did)).rejects.toThrow(
      /Authorization/i,
    );
    // The same agent with a valid JWT connects.
    const valid = await issueAgentUser({ mesh: "revoke2", did: key.did, accountKey: auth.accountKey });
    await (await connectWith("revoke2", valid.jwt, userSeedOf(key.exportSeed()), key.did)).flush();
  });

  it("refuses a user JWT presented without the agent's key", async () => {
    const auth = await nats.server.auth.mesh("revoke3");
    const victim = generateKeyPair();
    const thief = generateKeyPair();
    const grant = await issueAgentUser({ mesh: "revoke3", did: victim.did, accountKey: auth.accountKey });
    await expect(connectWith("revoke3", grant.jwt, userSeedOf(thief.exportSeed()), victim.did)).rejects.toThrow(
      /Authorization/i,
    );
  });
});
