/**
 * Cutting an agent off at once: its user key goes into the revocations of the mesh account's JWT, which is re-signed
 * by the operator's signing key and pushed to the servers by a system-account user (`$SYS.REQ.CLAIMS.UPDATE`).
 * The server then closes the agent's connections ("User Authentication Revoked") and refuses every user JWT of that
 * key issued up to the revocation time. Un-revoking removes the entry, so newly issued JWTs connect again.
 */
import { decode, encodeAccount, type Account } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, PlexusError } from "@plexus/core";
import { AuthFile, writeAuthFile, readAuthText, type MeshAuth } from "./auth-folder.js";
import { userPublicKeyOfDid } from "./nkey-codec.js";
import { connectBus } from "../connection.js";

export interface AccountUpdateOptions {
  auth: MeshAuth;
  /** NATS servers to push to (one is enough: the servers of a cluster share account updates). */
  servers?: string | string[];
  /** An open connection of a system-account user to use instead of opening one. */
  system?: NatsConnection;
}

const decoder = new TextDecoder();
/** One update at a time per account in this process: each reads the JWT the previous one pushed. */
const queues = new Map<string, Promise<unknown>>();

/**
 * A revocation covers the user JWTs issued up to its time. By default that time is far in the future, so every JWT of
 * the key is refused until `unrevokeUser`, even one a lagging registry node might still issue.
 */
export const REVOKED_UNTIL_UNREVOKED = 4_102_444_800_000;

/** Revokes the agent's user JWTs issued up to `at` (ms; default: all of them, until un-revoked) and disconnects it. */
export function revokeUser(o: AccountUpdateOptions & { did: string; at?: number }): Promise<void> {
  const user = userPublicKeyOfDid(o.did);
  const at = Math.floor((o.at ?? REVOKED_UNTIL_UNREVOKED) / 1000);
  return updateAccount(o, (revocations) => ({ ...revocations, [user]: at }));
}

/** Removes the agent's revocation: user JWTs issued from now on connect again (older ones stay revoked if re-revoked). */
export function unrevokeUser(o: AccountUpdateOptions & { did: string }): Promise<void> {
  const user = userPublicKeyOfDid(o.did);
  return updateAccount(o, (revocations) => Object.fromEntries(Object.entries(revocations).filter(([k]) => k !== user)));
}

/** The user keys revoked in the account JWT the server holds now, with their times (s). */
export async function revokedUsers(o: AccountUpdateOptions): Promise<Record<string, number>> {
  return withSystem(
    o,
    async (nc) =>
      (decode<Account>(await currentAccountJwt(nc, o.auth)).nats.revocations ?? {}) as Record<string, number>,
  );
}

/** Pushes the folder's account JWT of the mesh to the servers (a mesh created after the server started). */
export async function pushMeshAccount(o: AccountUpdateOptions): Promise<void> {
  const jwt = await readAuthText(o.auth.dir, AuthFile.accountJwt(o.auth.mesh));
  if (!jwt) throw new PlexusError(ErrorCode.ConfigInvalid, `no account JWT for mesh "${o.auth.mesh}" in ${o.auth.dir}`);
  await withSystem(o, (nc) => pushJwt(nc, o.auth, jwt));
}

function updateAccount(
  o: AccountUpdateOptions,
  change: (revocations: Record<string, number>) => Record<string, number>,
): Promise<void> {
  const previous = queues.get(o.auth.account) ?? Promise.resolve();
  const run = previous.then(
    () => withSystem(o, (nc) => pushChange(nc, o.auth, change)),
    () => withSystem(o, (nc) => pushChange(nc, o.auth, change)),
  );
  queues.set(
    o.auth.account,
    run.catch(() => undefined),
  );
  return run;
}

async function pushChange(
  nc: NatsConnection,
  auth: MeshAuth,
  change: (r: Record<string, number>) => Record<string, number>,
): Promise<void> {
  const claims = decode<Account>(await currentAccountJwt(nc, auth));
  const { revocations, ...rest } = claims.nats;
  const next = change((revocations ?? {}) as Record<string, number>);
  const data: Partial<Account> = { ...rest, ...(Object.keys(next).length > 0 ? { revocations: next } : {}) };
  const jwt = await encodeAccount(claims.name, auth.account, data, { signer: auth.operatorSigner });
  await pushJwt(nc, auth, jwt);
  // The folder keeps the newest JWT, so a restarted server preloads it (the resolver also stores it).
  await writeAuthFile(auth.dir, AuthFile.accountJwt(auth.mesh), jwt).catch(() => undefined);
}

async function pushJwt(nc: NatsConnection, auth: MeshAuth, jwt: string): Promise<void> {
  const reply = JSON.parse(
    decoder.decode((await nc.request("$SYS.REQ.CLAIMS.UPDATE", jwt, { timeout: 5_000 })).data),
  ) as {
    data?: { code?: number };
    error?: { code?: number; description?: string };
  };
  if (reply.error || reply.data?.code !== 200) {
    throw new PlexusError(
      ErrorCode.NatsUnavailable,
      `the server refused the account update: ${reply.error?.description ?? JSON.stringify(reply)}`,
      {
        details: { account: auth.account },
      },
    );
  }
}

/** The account JWT the server resolves now; the folder's copy when the server has none to give. */
async function currentAccountJwt(nc: NatsConnection, auth: MeshAuth): Promise<string> {
  try {
    const m = await nc.request(`$SYS.REQ.ACCOUNT.${auth.account}.CLAIMS.LOOKUP`, "", { timeout: 5_000 });
    const text = decoder.decode(m.data).trim();
    if (text.startsWith("ey")) return text;
  } catch {
    // fall back to the folder
  }
  const jwt = await readAuthText(auth.dir, AuthFile.accountJwt(auth.mesh));
  if (!jwt)
    throw new PlexusError(
      ErrorCode.ConfigInvalid,
      `no account JWT for mesh "${auth.mesh}" on the server or in ${auth.dir}`,
    );
  return jwt;
}

async function withSystem<T>(o: AccountUpdateOptions, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  if (o.system) return fn(o.system);
  const nc = await connectBus({
    servers: o.servers,
    name: "plexus-account-update",
    credentials: { creds: o.auth.systemCreds },
  });
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}
