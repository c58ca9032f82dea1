import {
  issueAgentUser,
  revokeUser,
  unrevokeUser,
  userPublicKeyOfDid,
  type MeshAuth,
  type NatsUserGrant,
} from "@plexus/bus";
import { DEFAULT_USER_TTL_MS, revokedUsers } from "@plexus/bus/internal";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { Admission } from "./admission.js";

export interface NatsUsersOptions {
  admission: Admission;
  mesh: string;
  /** The mesh's NATS auth (operator mode); without it the registry issues no user JWTs. */
  auth: MeshAuth | undefined;
  /** Where to push account updates (revocations). */
  servers: string | string[];
  /** Lifetime of the user JWTs it issues (default 1 h). */
  ttlMs?: number;
  count: (name: string) => void;
}

/**
 * NATS users for agents (operator mode). `connect` trades a signed request for a short-lived user JWT bound to the
 * requester's key, with the agent's permissions; it is checked like any signed request (a suspended or rotated-away
 * key is refused). Nothing is appended to the log: the JWT is public (useless without the agent's private key) and
 * an agent renews it every ~48 minutes. `revoke`/`unrevoke` cut an agent off and let it back (the kill switch).
 */
export class NatsUsers {
  readonly #o: NatsUsersOptions;

  constructor(options: NatsUsersOptions) {
    this.#o = options;
  }

  get enabled(): boolean {
    return this.#o.auth !== undefined;
  }

  async connect(payload: unknown): Promise<NatsUserGrant> {
    const auth = this.#require();
    const { request } = await this.#o.admission.check("connect", payload);
    const grant = await this.issue(request.did, auth);
    this.#o.count("accepted.connect");
    return grant;
  }

  /** A user JWT for `did`, without a request (a join result carries one). */
  issue(did: string, auth: MeshAuth = this.#require()): Promise<NatsUserGrant> {
    return issueAgentUser({
      mesh: this.#o.mesh,
      did,
      accountKey: auth.accountKey,
      ttlMs: this.#o.ttlMs ?? DEFAULT_USER_TTL_MS,
    });
  }

  /** Revokes every user JWT of the agent and disconnects it at once (no-op without NATS auth). */
  async revoke(did: string): Promise<void> {
    if (this.#o.auth) await revokeUser({ auth: this.#o.auth, servers: this.#o.servers, did });
  }

  /** Lets the agent get and use user JWTs again (no-op without NATS auth). */
  async unrevoke(did: string): Promise<void> {
    if (this.#o.auth) await unrevokeUser({ auth: this.#o.auth, servers: this.#o.servers, did });
  }

  /**
   * Makes the account's revocations match the log: `cutOff` (suspended agents, keys rotated away) revoked, and the
   * other `known` DIDs not. Run at start, so a node that stopped between appending an event and pushing the
   * revocation repairs it. Revoked keys the log does not know are left alone. Returns what it changed.
   */
  async reconcile(cutOff: Iterable<string>, known: Iterable<string>): Promise<{ revoked: number; restored: number }> {
    const changed = { revoked: 0, restored: 0 };
    if (!this.#o.auth) return changed;
    const revoked = await revokedUsers({ auth: this.#o.auth, servers: this.#o.servers });
    const cut = new Set(cutOff);
    for (const did of cut) {
      if (revoked[userPublicKeyOfDid(did)] !== undefined) continue;
      await this.revoke(did);
      changed.revoked += 1;
    }
    for (const did of known) {
      if (cut.has(did) || revoked[userPublicKeyOfDid(did)] === undefined) continue;
      await this.unrevoke(did);
      changed.restored += 1;
    }
    return changed;
  }

  #require(): MeshAuth {
    if (!this.#o.auth) {
      throw new PlexusError(
        ErrorCode.ConfigInvalid,
        `this registry node issues no NATS users: mesh "${this.#o.mesh}" runs without NATS auth here`,
      );
    }
    return this.#o.auth;
  }
}
