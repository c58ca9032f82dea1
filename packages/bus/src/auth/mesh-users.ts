/**
 * The mesh's two privileged users (the files are written by auth-folder.ts):
 *   <mesh>.service.creds   registry nodes, sealers, gateways and operator commands: servicePermissions (no changing,
 *                          purging or deleting streams or their messages)
 *   <mesh>.admin.creds     provisioning only (plexus init, the first step of plexus up): creates and updates the history
 *                          streams and KV buckets with their settings. No restrictions; never held by a running node.
 * Folders made before the split hold a service user without restrictions and no admin user: auth-folder's
 * `ensureMeshUsers` adds the admin user and, when the service user's permissions are not the current ones, issues a new
 * service user and revokes the old one's key in the account JWT (`withRevokedUser`): the old creds, wherever copies of
 * them are, stop working once a server loads that JWT (plexus up preloads it at its next start; a running server gets
 * it with pushMeshAccount).
 */
import { createUser, decode, encodeAccount, encodeUser, fmtCreds, type Account, type User } from "@nats-io/jwt";
import type { KeyPair as NKeyPair } from "@nats-io/nkeys";
import { parseCreds } from "./fast-nkey.js";
import type { SubjectPermissions } from "./permissions.js";
import { servicePermissions } from "./service-permissions.js";

/** Revocations of a replaced privileged user cover every JWT of its key (ms; the same far date as revocation.ts). */
const REVOKED_FOR_GOOD_MS = 4_102_444_800_000;

/** A service user of the mesh (a new key), as creds file content. */
export async function issueServiceCreds(mesh: string, account: NKeyPair): Promise<Uint8Array> {
  const user = createUser();
  return fmtCreds(await encodeUser(`${mesh}-service`, user, account, { ...servicePermissions(mesh) }), user);
}

/** An admin user of the mesh (a new key, no restrictions), as creds file content. */
export async function issueAdminCreds(mesh: string, account: NKeyPair): Promise<Uint8Array> {
  const user = createUser();
  return fmtCreds(await encodeUser(`${mesh}-admin`, user, account), user);
}

/** The user key of a creds file whose permissions are not the mesh's current service permissions; else undefined. */
export function outdatedServiceUser(mesh: string, creds: string): string | undefined {
  const claims = decode<User>(parseCreds(`${creds}\n`).jwt);
  return samePermissions(claims.nats, servicePermissions(mesh)) ? undefined : claims.sub;
}

function samePermissions(user: Partial<User>, expected: SubjectPermissions): boolean {
  const norm = (p: { allow?: string[]; deny?: string[] } | undefined) =>
    JSON.stringify([[...(p?.allow ?? [])].sort(), [...(p?.deny ?? [])].sort()]);
  return norm(user.pub) === norm(expected.pub) && norm(user.sub) === norm(expected.sub);
}

/** The account JWT with `userKey` revoked for good, re-signed by the operator's signing key. */
export async function withRevokedUser(accountJwt: string, userKey: string, signer: NKeyPair): Promise<string> {
  const claims = decode<Account>(accountJwt);
  const revocations = {
    ...((claims.nats.revocations ?? {}) as Record<string, number>),
    [userKey]: Math.floor(REVOKED_FOR_GOOD_MS / 1000),
  };
  return encodeAccount(claims.name, claims.sub, { ...claims.nats, revocations }, { signer });
}
