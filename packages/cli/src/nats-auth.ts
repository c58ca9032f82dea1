/**
 * How CLI commands authenticate to NATS. A server in operator mode (what `plexus up` runs by default) admits only
 * users with JWTs of its operator; the auth folder (--nats-auth, default ~/.plexus/nats) holds the mesh's files:
 *   - agent commands (send, listen, publish, subscribe, agent, mcp, …) use the mesh's bootstrap creds to get the
 *     agent's own short-lived user JWT from the registry (the SDK's NatsSession);
 *   - operator commands and services (agents, discover, rejected, audit, registry, gateway, sealer) use the mesh's
 *     service creds, which may not update, purge or delete streams or messages (@plexus/bus service-permissions.ts);
 *   - only `plexus up`'s provisioning step reads the admin creds (up.ts `provisionMesh`), and closes them at once.
 * Without the mesh's files in the folder (or with --nats-auth off) connections carry no credentials: an open server.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, hasMeshAuth, loadMeshAuth, readServiceCreds, type BusCredentials, type MeshAuth } from "@plexus/bus";
import type { AgentNatsAuth } from "@plexus/sdk";
import type { CommonOptions } from "./common-options.js";

/** The mesh's service credentials from the auth folder, when it has them. */
export async function serviceCredentials(common: CommonOptions): Promise<BusCredentials | undefined> {
  if (!common.natsAuth) return undefined;
  const creds = await readServiceCreds(common.natsAuth, common.mesh);
  return creds ? { creds } : undefined;
}

/** Connects as the mesh's service user (or without credentials when the folder has none for the mesh). */
export async function connectService(common: CommonOptions, name: string, servers: string | string[] = common.nats): Promise<NatsConnection> {
  const credentials = await serviceCredentials(common);
  return connectBus({ servers, name, ...(credentials ? { credentials } : {}) });
}

/** What an agent command hands Agent.connect: the auth folder, when it holds the mesh's bootstrap creds. */
export async function agentNatsAuth(common: CommonOptions): Promise<AgentNatsAuth | undefined> {
  if (!common.natsAuth || !(await hasMeshAuth(common.natsAuth, common.mesh))) return undefined;
  return { authDir: common.natsAuth };
}

/** What a registry node needs to issue and revoke agents' NATS users, when the folder has the mesh's account. */
export async function registryNatsAuth(common: CommonOptions): Promise<MeshAuth | undefined> {
  if (!common.natsAuth || !(await hasMeshAuth(common.natsAuth, common.mesh))) return undefined;
  return loadMeshAuth(common.natsAuth, common.mesh);
}
