/**
 * User JWTs for agents: bound to the agent's own Ed25519 key (the nkey "U…" is its did:key's public key), signed by
 * the mesh account, short-lived, with the agent's permissions (permissions.ts). Whoever holds the JWT still needs the
 * agent's private key to connect: the server has the client sign a nonce with the user key.
 */
import { decode, encodeUser, type ClaimsData, type User } from "@nats-io/jwt";
import type { KeyPair as NKeyPair } from "@nats-io/nkeys";
import { ErrorCode, PlexusError } from "@plexus/core";
import { userPublicKeyOfDid } from "./nkey-codec.js";
import { agentInboxPrefix, agentPermissions } from "./permissions.js";

export const DEFAULT_USER_TTL_MS = 3600_000;

/** What the registry hands an agent: its user JWT, when it expires (ms), and the inbox prefix its permissions allow. */
export interface NatsUserGrant {
  jwt: string;
  expiresAt: number;
  inboxPrefix: string;
}

export interface IssueUserOptions {
  mesh: string;
  did: string;
  /** The mesh account's key (signs the JWT). */
  accountKey: NKeyPair;
  /** Lifetime (default 1 h); the JWT's `exp` is in whole seconds, rounded down. */
  ttlMs?: number;
  now?: number;
}

/** Issues an agent's user JWT. */
export async function issueAgentUser(o: IssueUserOptions): Promise<NatsUserGrant> {
  const ttlMs = o.ttlMs ?? DEFAULT_USER_TTL_MS;
  if (!(Number.isFinite(ttlMs) && ttlMs >= 1_000))
    throw new PlexusError(ErrorCode.InvalidArgument, `a user JWT lifetime must be at least 1 s, got ${ttlMs} ms`);
  const exp = Math.floor(((o.now ?? Date.now()) + ttlMs) / 1000);
  const jwt = await encodeUser(
    o.did,
    userPublicKeyOfDid(o.did),
    o.accountKey,
    { ...agentPermissions(o.mesh, o.did) },
    { exp },
  );
  return { jwt, expiresAt: exp * 1000, inboxPrefix: agentInboxPrefix(o.did) };
}

/** The claims of a user JWT (not verified: for inspection and tests). */
export function userClaims(jwt: string): ClaimsData<User> {
  return decode<User>(jwt);
}
