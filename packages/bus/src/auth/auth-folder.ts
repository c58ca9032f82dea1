/**
 * The NATS decentralized-auth material of a Plexus installation, in one folder (files 0600, folder 0700):
 *
 *   operator.jwt  operator.nk            the operator (trust root; its seed is only needed to re-issue operator.jwt)
 *   operator-signing.nk                  the operator's signing key: signs account JWTs (and their revocations)
 *   sys.account.jwt  sys.account.nk      the system account; sys.creds: a user of it, to push account updates
 *   <mesh>.account.jwt  <mesh>.account.nk   one account per mesh (JetStream enabled); its key signs user JWTs
 *   <mesh>.service.creds                 service user: registry, audit sealer, gateway, operator commands; it cannot
 *                                        change, purge or delete streams or messages (service-permissions.ts)
 *   <mesh>.admin.creds                   admin user: provisioning only (creates/updates the history streams and KV
 *                                        buckets with their settings); held by no long-running node (mesh-users.ts)
 *   <mesh>.bootstrap.creds               shared user that may only ask the registry for a challenge and a user JWT
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "@nats-io/jwt";
import { fastNKey } from "./fast-nkey.js";
import type { KeyPair as NKeyPair } from "@nats-io/nkeys";
import { assertMeshId, ErrorCode, PlexusError } from "@plexus/core";
import { bootstrapPermissions } from "./permissions.js";
import { issueAdminCreds, issueServiceCreds, outdatedServiceUser, withRevokedUser } from "./mesh-users.js";

/** Limits of a mesh account: none, JetStream included (an account JWT without limits refuses every connection). */
export const MESH_ACCOUNT_LIMITS = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
} as const;
const SYSTEM_ACCOUNT_LIMITS = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
} as const;

export const AuthFile = {
  operatorJwt: "operator.jwt",
  operatorSeed: "operator.nk",
  operatorSigningSeed: "operator-signing.nk",
  systemJwt: "sys.account.jwt",
  systemSeed: "sys.account.nk",
  systemCreds: "sys.creds",
  accountJwt: (mesh: string) => `${mesh}.account.jwt`,
  accountSeed: (mesh: string) => `${mesh}.account.nk`,
  serviceCreds: (mesh: string) => `${mesh}.service.creds`,
  adminCreds: (mesh: string) => `${mesh}.admin.creds`,
  bootstrapCreds: (mesh: string) => `${mesh}.bootstrap.creds`,
} as const;

/** What a mesh's privileged processes need from the folder. */
export interface MeshAuth {
  readonly dir: string;
  readonly mesh: string;
  /** Public key ("A…") of the mesh account. */
  readonly account: string;
  /** Signs the mesh's user JWTs. */
  readonly accountKey: NKeyPair;
  /** Signs account JWTs (revocations). */
  readonly operatorSigner: NKeyPair;
  readonly systemAccount: string;
  /** A system-account user: pushes account JWT updates to the servers. */
  readonly systemCreds: Uint8Array;
  readonly serviceCreds: Uint8Array;
  readonly bootstrapCreds: Uint8Array;
}

const enc = new TextEncoder();
/** A creds file's content as nats.js parses it (its last line must end with a newline). */
const creds = (text: string): Uint8Array => enc.encode(`${text}\n`);

async function readText(dir: string, name: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, name), "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function requireText(dir: string, name: string): Promise<string> {
  const text = await readText(dir, name);
  if (text === undefined) {
    throw new PlexusError(
      ErrorCode.ConfigInvalid,
      `${join(dir, name)} is missing: create the NATS auth folder with \`plexus init\``,
      { details: { dir, file: name } },
    );
  }
  return text;
}

/** Writes a secret or JWT file 0600 (also when it already existed with wider rights). */
export async function writeAuthFile(dir: string, name: string, content: string | Uint8Array): Promise<void> {
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Creates the operator and the system account in the folder unless it has them. */
export async function ensureOperator(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  if ((await readText(dir, AuthFile.operatorJwt)) !== undefined) return;
  const operator = createOperator();
  const signing = createOperator();
  const system = createAccount();
  const systemUser = createUser();
  const operatorJwt = await encodeOperator("plexus", operator, {
    system_account: system.getPublicKey(),
    signing_keys: [signing.getPublicKey()],
  });
  const systemJwt = await encodeAccount("SYS", system, { limits: SYSTEM_ACCOUNT_LIMITS }, { signer: signing });
  const systemUserJwt = await encodeUser("sys", systemUser, system);
  const dec = new TextDecoder();
  await writeAuthFile(dir, AuthFile.operatorSeed, dec.decode(operator.getSeed()));
  await writeAuthFile(dir, AuthFile.operatorSigningSeed, dec.decode(signing.getSeed()));
  await writeAuthFile(dir, AuthFile.systemSeed, dec.decode(system.getSeed()));
  await writeAuthFile(dir, AuthFile.systemJwt, systemJwt);
  await writeAuthFile(dir, AuthFile.systemCreds, fmtCreds(systemUserJwt, systemUser));
  // Last: its presence means the rest is there.
  await writeAuthFile(dir, AuthFile.operatorJwt, operatorJwt);
}

async function ensureMeshAccount(dir: string, mesh: string): Promise<void> {
  if ((await readText(dir, AuthFile.accountJwt(mesh))) !== undefined) return;
  const signing = fastNKey(enc.encode(await requireText(dir, AuthFile.operatorSigningSeed)));
  const account = createAccount();
  const accountJwt = await encodeAccount(mesh, account, { limits: MESH_ACCOUNT_LIMITS }, { signer: signing });
  const bootstrap = createUser();
  const bootstrapJwt = await encodeUser(`${mesh}-bootstrap`, bootstrap, account, bootstrapPermissions(mesh));
  await writeAuthFile(dir, AuthFile.accountSeed(mesh), new TextDecoder().decode(account.getSeed()));
  await writeAuthFile(dir, AuthFile.serviceCreds(mesh), await issueServiceCreds(mesh, account));
  await writeAuthFile(dir, AuthFile.adminCreds(mesh), await issueAdminCreds(mesh, account));
  await writeAuthFile(dir, AuthFile.bootstrapCreds(mesh), fmtCreds(bootstrapJwt, bootstrap));
  await writeAuthFile(dir, AuthFile.accountJwt(mesh), accountJwt);
}

/**
 * Brings a folder made before the admin/service split up to it (see mesh-users.ts): adds the admin user when missing,
 * and re-issues a service user whose permissions are not the current ones, revoking the old key in the account JWT
 * first (should writing the new creds fail, the next run finds the old ones outdated and retries).
 */
export async function ensureMeshUsers(
  dir: string,
  mesh: string,
): Promise<{ adminCreated: boolean; serviceReplaced: string | undefined }> {
  const seed = await requireText(dir, AuthFile.accountSeed(mesh));
  const account = fastNKey(enc.encode(seed));
  let adminCreated = false;
  if ((await readText(dir, AuthFile.adminCreds(mesh))) === undefined) {
    await writeAuthFile(dir, AuthFile.adminCreds(mesh), await issueAdminCreds(mesh, account));
    adminCreated = true;
  }
  const outdated = outdatedServiceUser(mesh, await requireText(dir, AuthFile.serviceCreds(mesh)));
  if (outdated === undefined) return { adminCreated, serviceReplaced: undefined };
  const signer = fastNKey(enc.encode(await requireText(dir, AuthFile.operatorSigningSeed)));
  await writeAuthFile(
    dir,
    AuthFile.accountJwt(mesh),
    await withRevokedUser(await requireText(dir, AuthFile.accountJwt(mesh)), outdated, signer),
  );
  await writeAuthFile(dir, AuthFile.serviceCreds(mesh), await issueServiceCreds(mesh, account));
  return { adminCreated, serviceReplaced: outdated };
}

/** Creates what is missing (operator, system account, the mesh's account and users) and loads the mesh's auth. */
export async function ensureMeshAuth(dir: string, mesh: string): Promise<MeshAuth> {
  assertMeshId(mesh);
  await ensureOperator(dir);
  await ensureMeshAccount(dir, mesh);
  await ensureMeshUsers(dir, mesh);
  return loadMeshAuth(dir, mesh);
}

/** Loads a mesh's auth from the folder; a missing file is a CONFIG_INVALID error naming it. */
export async function loadMeshAuth(dir: string, mesh: string): Promise<MeshAuth> {
  assertMeshId(mesh);
  const accountKey = fastNKey(enc.encode(await requireText(dir, AuthFile.accountSeed(mesh))));
  const operatorSigner = fastNKey(enc.encode(await requireText(dir, AuthFile.operatorSigningSeed)));
  const system = fastNKey(enc.encode(await requireText(dir, AuthFile.systemSeed)));
  return {
    dir,
    mesh,
    account: accountKey.getPublicKey(),
    accountKey,
    operatorSigner,
    systemAccount: system.getPublicKey(),
    systemCreds: creds(await requireText(dir, AuthFile.systemCreds)),
    serviceCreds: creds(await requireText(dir, AuthFile.serviceCreds(mesh))),
    bootstrapCreds: creds(await requireText(dir, AuthFile.bootstrapCreds(mesh))),
  };
}

/** Whether the folder holds a mesh's account (operator mode is set up for it). */
export async function hasMeshAuth(dir: string, mesh: string): Promise<boolean> {
  return (await readText(dir, AuthFile.accountJwt(mesh))) !== undefined;
}

/** Reads the bootstrap creds of a mesh, or undefined when the folder has none. */
export async function readBootstrapCreds(dir: string, mesh: string): Promise<Uint8Array | undefined> {
  const text = await readText(dir, AuthFile.bootstrapCreds(mesh));
  return text === undefined ? undefined : creds(text);
}

/**
 * Reads the admin creds of a mesh, or undefined when the folder has none. For provisioning steps only: hold them for
 * the step and close the connection (no long-running node keeps them).
 */
export async function readAdminCreds(dir: string, mesh: string): Promise<Uint8Array | undefined> {
  const text = await readText(dir, AuthFile.adminCreds(mesh));
  return text === undefined ? undefined : creds(text);
}

/** Reads the service creds of a mesh, or undefined when the folder has none. */
export async function readServiceCreds(dir: string, mesh: string): Promise<Uint8Array | undefined> {
  const text = await readText(dir, AuthFile.serviceCreds(mesh));
  return text === undefined ? undefined : creds(text);
}

export { readText as readAuthText };
