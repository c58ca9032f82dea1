/**
 * How CLI commands authenticate to NATS. A server in operator mode (what `plexus up` runs by default) admits only
 * users with JWTs of its operator; the auth folder (--nats-auth, default ~/.plexus/nats) holds the mesh's files:
 *   - agent commands (send, listen, publish, subscribe, agent, mcp, …) use the mesh's bootstrap creds to get the
 *     agent's own short-lived user JWT from the registry (the SDK's NatsSession);
 *   - operator commands and services (agents, discover, rejected, audit, registry, gateway, sealer) use the mesh's
 *     service creds, which may not update, purge or delete streams or messages (@plexus/bus service-permissions.ts);
 *   - only `plexus up`'s provisioning step reads the admin creds (@plexus/nodes startLocalMesh), and closes them at once.
 * Without the mesh's files in the folder (or with --nats-auth off) connections carry no credentials: an open server.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, loadMeshAuth, type BusCredentials, type MeshAuth } from "@plexus/bus";
import { AuthFile, hasMeshAuth, readBootstrapCreds, readServiceCreds } from "@plexus/bus/internal";
import type { AgentNatsAuth } from "@plexus/sdk";
import type { CommonOptions } from "./common-options.js";
import { CliError } from "./errors.js";

/** The mesh's service credentials from the auth folder, when it has them. */
export async function serviceCredentials(common: CommonOptions): Promise<BusCredentials | undefined> {
  if (!common.natsAuth) return undefined;
  const creds = await readServiceCreds(common.natsAuth, common.mesh);
  return creds ? { creds } : undefined;
}

/** Connects as the mesh's service user (or without credentials when the folder has none for the mesh). */
export async function connectService(
  common: CommonOptions,
  name: string,
  servers: string | string[] = common.nats,
): Promise<NatsConnection> {
  const credentials = await serviceCredentials(common);
  return connectBus({ servers, name, ...(credentials ? { credentials } : {}) }).catch(async (err: unknown) => {
    throw await explainRefusal(common, err);
  });
}

/**
 * A server in operator mode refuses a connection without credentials ("Authorization Violation"). When the auth
 * folder is an operator's but holds nothing for this mesh, say that, and what to do, instead of the server's words.
 */
export async function explainRefusal(common: CommonOptions, err: unknown): Promise<unknown> {
  if (!common.natsAuth || !/authorization violation/i.test((err as Error)?.message ?? "")) return err;
  const operator = await access(join(common.natsAuth, AuthFile.operatorJwt)).then(
    () => true,
    () => false,
  );
  if (!operator || (await hasMeshAuth(common.natsAuth, common.mesh))) return err;
  return new CliError(
    `NATS at ${[common.nats].flat().join(", ")} refused the connection (Authorization Violation): the NATS auth folder ${common.natsAuth} has no account for mesh "${common.mesh}". Create it with: plexus init --mesh ${common.mesh} --nats-auth ${common.natsAuth}; a running server loads a new account only when it restarts (restart plexus up), or check --mesh.`,
    { cause: err },
  );
}

/**
 * What an agent command hands Agent.connect: the auth folder, when it holds the mesh's bootstrap creds (all an agent
 * on another machine has: the mesh's account files stay with the operator and the registry nodes).
 */
export async function agentNatsAuth(common: CommonOptions): Promise<AgentNatsAuth | undefined> {
  if (!common.natsAuth || !(await readBootstrapCreds(common.natsAuth, common.mesh))) return undefined;
  return { authDir: common.natsAuth };
}

/** What a registry node needs to issue and revoke agents' NATS users, when the folder has the mesh's account. */
export async function registryNatsAuth(common: CommonOptions): Promise<MeshAuth | undefined> {
  if (!common.natsAuth || !(await hasMeshAuth(common.natsAuth, common.mesh))) return undefined;
  return loadMeshAuth(common.natsAuth, common.mesh);
}
