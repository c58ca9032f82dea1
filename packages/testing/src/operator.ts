/**
 * Operator mode for test servers: a temporary auth folder (operator, system account, one account per mesh), the
 * server trusting it, and helpers to connect as a mesh's service user, its admin user (provisioning: stream settings),
 * or as an agent with its own user JWT.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectBus,
  ensureMeshAuth,
  issueAgentUser,
  readAdminCreds,
  userSeedOf,
  type MeshAuth,
  type NatsUserGrant,
} from "@plexus/bus";
import { agentInboxPrefix, pushMeshAccount } from "@plexus/bus/internal";

/** What the test helpers need of an agent key (an @plexus/identity KeyPair fits). */
export interface AgentKeyLike {
  readonly did: string;
  exportSeed(): Uint8Array;
}

export interface OperatorAuth {
  /** The temporary auth folder (operator.jwt, sys.creds, <mesh>.* files). */
  readonly authDir: string;
  /** Creates the mesh's account (once) and makes the running server know it. */
  mesh(mesh: string): Promise<MeshAuth>;
  /** A connection as the mesh's service user (what registry nodes, sealers and gateways hold). */
  connectService(mesh: string): Promise<NatsConnection>;
  /** A connection as the mesh's admin user (what provisioning holds: creates, updates, deletes streams). */
  connectAdmin(mesh: string): Promise<NatsConnection>;
  /** A user JWT for the agent, signed by the mesh account (default lifetime 1 h). */
  agentUser(mesh: string, did: string, ttlMs?: number): Promise<NatsUserGrant>;
  /** A connection as the agent, with its own user JWT, key and inbox prefix. */
  connectAgent(mesh: string, key: AgentKeyLike, options?: { ttlMs?: number; name?: string }): Promise<NatsConnection>;
}

export function operatorAuth(authDir: string, url: () => string): OperatorAuth {
  const meshes = new Map<string, Promise<MeshAuth>>();
  const mesh = (name: string): Promise<MeshAuth> => {
    let auth = meshes.get(name);
    if (!auth) {
      auth = ensureMeshAuth(authDir, name).then(async (a) => {
        await pushMeshAccount({ auth: a, servers: url() });
        await jetStreamAnswers(url(), a.serviceCreds);
        return a;
      });
      auth.catch(() => meshes.delete(name));
      meshes.set(name, auth);
    }
    return auth;
  };
  const agentUser = async (name: string, did: string, ttlMs?: number) =>
    issueAgentUser({
      mesh: name,
      did,
      accountKey: (await mesh(name)).accountKey,
      ...(ttlMs !== undefined ? { ttlMs } : {}),
    });
  return {
    authDir,
    mesh,
    agentUser,
    async connectService(name) {
      return connectBus({
        servers: url(),
        name: `test-service-${name}`,
        credentials: { creds: (await mesh(name)).serviceCreds },
      });
    },
    async connectAdmin(name) {
      await mesh(name);
      const creds = await readAdminCreds(authDir, name);
      if (!creds) throw new Error(`no admin creds for mesh ${name} in ${authDir}`);
      return connectBus({ servers: url(), name: `test-admin-${name}`, credentials: { creds } });
    },
    async connectAgent(name, key, options = {}) {
      const grant = await agentUser(name, key.did, options.ttlMs);
      return connectBus({
        servers: url(),
        name: options.name ?? `test-agent ${key.did}`,
        credentials: { jwt: () => grant.jwt, seed: userSeedOf(key.exportSeed()) },
        inboxPrefix: agentInboxPrefix(key.did),
      });
    },
  };
}

/**
 * Waits until the mesh account's JetStream answers its service user: an account pushed to a running server (a
 * cluster above all) gets JetStream a moment later, and a request in between times out.
 */
async function jetStreamAnswers(servers: string, creds: Uint8Array | string): Promise<void> {
  const nc = await connectBus({ servers, name: "test-jetstream-probe", credentials: { creds } });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await jetstreamManager(nc, { timeout: 2_000 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await nc.close();
  }
}
