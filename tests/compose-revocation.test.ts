/**
 * Operator mode on compose's cluster: the three nats-servers of compose/nats-cluster.conf, started on the include
 * file `plexus init` writes (compose's init service, run as it is), know the mesh's account without anyone pushing
 * it (preloaded), and a revocation pushed to one server (what a registry does for `plexus agent suspend`) is enforced
 * by the others: their connections of that agent are closed, new ones refused, also after a server restarts on the
 * older preloaded JWT. Other agents keep connecting.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, issueAgentUser, loadMeshAuth, revokeUser, userSeedOf, type MeshAuth } from "@plexus/bus";
import { agentInboxPrefix } from "@plexus/bus/internal";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { until } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComposeRun } from "./compose-runner.js";

const SERVERS = ["nats-1", "nats-2", "nats-3"];
const run = new ComposeRun();
let auth: MeshAuth;
let urls: string[] = [];
const open: NatsConnection[] = [];

/** An agent's own user, straight from the mesh account's key (nothing pushed to the servers). */
async function connectAgent(url: string, key: KeyPair): Promise<NatsConnection> {
  const grant = await issueAgentUser({ mesh: "default", did: key.did, accountKey: auth.accountKey });
  const nc = await connectBus({
    servers: url,
    name: `agent ${key.did}`,
    credentials: { jwt: () => grant.jwt, seed: userSeedOf(key.exportSeed()) },
    inboxPrefix: agentInboxPrefix(key.did),
  });
  open.push(nc);
  return nc;
}

async function routes(server: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${await run.port(server, 8222)}/routez`).catch(() => undefined);
  return r?.ok ? ((await r.json()) as { num_routes: number }).num_routes : 0;
}

beforeAll(async () => {
  await run.init();
  await run.up({ services: SERVERS });
  urls = await Promise.all(SERVERS.map(async (s) => `nats://127.0.0.1:${await run.port(s, 4222)}`));
  auth = await loadMeshAuth(run.volume("auth"), "default");
  for (const s of SERVERS) await until(async () => (await routes(s)) >= 2, 30_000, `${s} routed to the others`);
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await run.down();
}, 60_000);

describe("compose's cluster in operator mode", () => {
  it("preloads the mesh's account on every server; a revocation pushed to one server is enforced by all", async () => {
    const suspended = generateKeyPair();
    const other = generateKeyPair();
    const before = await Promise.all(urls.map((u) => connectAgent(u, suspended)));
    for (const nc of before) expect(nc.isClosed()).toBe(false);

    await revokeUser({ auth, servers: urls[0] as string, did: suspended.did });
    for (const [i, nc] of before.entries()) await until(() => nc.isClosed(), 20_000, `${SERVERS[i]} closing the agent`);
    for (const u of urls) {
      await expect(connectAgent(u, suspended), u).rejects.toThrow(/authoriz|revoked|authentication/i);
      expect((await connectAgent(u, other)).isClosed()).toBe(false);
    }

    // nats-3 restarts on the include's older JWT (preloaded without the revocation): its resolver keeps the newer.
    await run.stop("nats-3");
    await run.start("nats-3");
    await until(() => run.healthy("nats-3"), 30_000, "nats-3 back");
    await expect(connectAgent(urls[2] as string, suspended)).rejects.toThrow(/authoriz|revoked|authentication/i);
    expect((await connectAgent(urls[2] as string, other)).isClosed()).toBe(false);
  }, 120_000);
});
