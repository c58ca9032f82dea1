import type { NatsConnection } from "@nats-io/transport-node";
import { RegistryClient } from "@plexus/anp";
import { connectBus, userSeedOf, type NatsUserGrant } from "@plexus/bus";
import { BOOTSTRAP_INBOX_PREFIX, readBootstrapCreds } from "@plexus/bus/internal";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";

/**
 * How an agent gets onto a NATS server in operator mode: with the mesh's bootstrap credentials (a shared user that may
 * only ask the registry for a challenge and a user JWT), given as the creds file's content or found in an auth folder
 * (`<authDir>/<mesh>.bootstrap.creds`, as `plexus init` writes it).
 */
export type AgentNatsAuth = { bootstrapCreds: Uint8Array | string } | { authDir: string };

export interface NatsSessionOptions {
  servers: string | string[] | undefined;
  mesh: string;
  key: KeyPair;
  auth: AgentNatsAuth;
  name?: string;
  /** Renew at this share of the JWT's lifetime (default 0.8). */
  renewAt?: number;
  onError?: (err: unknown) => void;
}

const RETRY_MS = 30_000;

/**
 * An agent's own NATS connection in operator mode. Bootstrap: connect as the shared bootstrap user, trade a signed
 * `connect` request for a user JWT bound to the agent's key, disconnect. Then connect as the agent (its JWT, its key
 * signing the server's nonce, its own reply-inbox prefix), and renew the JWT over that connection at 80 % of its
 * lifetime; the connection then reconnects at once with the new JWT, before the old one expires.
 */
export class NatsSession {
  readonly nc: NatsConnection;
  readonly #o: NatsSessionOptions;
  #grant: NatsUserGrant;
  #timer: NodeJS.Timeout | undefined;
  #renewals = 0;
  #closed = false;

  private constructor(o: NatsSessionOptions, nc: NatsConnection, grant: NatsUserGrant) {
    this.#o = o;
    this.nc = nc;
    this.#grant = grant;
    this.#schedule();
  }

  /** Opens the agent's session; undefined when the server turns out to be open (no auth): connect plainly then. */
  static async open(o: NatsSessionOptions): Promise<NatsSession | undefined> {
    const grant = await bootstrap(o);
    if (!grant) return undefined;
    let session: NatsSession | undefined;
    const raw = o.key.exportSeed();
    const seed = userSeedOf(raw);
    raw.fill(0);
    const nc = await connectBus({
      servers: o.servers,
      name: o.name ?? `plexus-agent ${o.key.did}`,
      // Called on every (re)connect: a renewed JWT is presented from then on.
      credentials: { jwt: () => (session ? session.#grant.jwt : grant.jwt), seed },
      inboxPrefix: grant.inboxPrefix,
    });
    session = new NatsSession(o, nc, grant);
    return session;
  }

  /** The user JWT in use (the one the next reconnect presents). */
  get grant(): NatsUserGrant {
    return this.#grant;
  }

  get renewals(): number {
    return this.#renewals;
  }

  /** Asks the registry for a new JWT over this connection now, and reconnects with it. */
  async renew(): Promise<NatsUserGrant> {
    const grant = await new RegistryClient(this.nc, this.#o.mesh).natsUser(this.#o.key);
    if (this.#closed) return grant;
    this.#grant = grant;
    this.#renewals += 1;
    this.#schedule();
    await this.nc.reconnect();
    return grant;
  }

  #schedule(delayMs = (this.#grant.expiresAt - Date.now()) * (this.#o.renewAt ?? 0.8)): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(
      () => {
        this.renew().catch((err) => {
          this.#o.onError?.(
            new PlexusError(
              ErrorCode.RegistryUnavailable,
              `renewing the NATS user JWT failed: ${(err as Error).message}`,
              { cause: err },
            ),
          );
          const left = this.#grant.expiresAt - Date.now();
          this.#schedule(Math.max(500, Math.min(RETRY_MS, left / 4)));
        });
      },
      Math.max(200, Math.min(delayMs, 2 ** 31 - 1)),
    );
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.nc.close();
  }
}

async function bootstrapCreds(o: NatsSessionOptions): Promise<Uint8Array | string> {
  if ("bootstrapCreds" in o.auth) return o.auth.bootstrapCreds;
  const creds = await readBootstrapCreds(o.auth.authDir, o.mesh);
  if (!creds) {
    throw new PlexusError(
      ErrorCode.ConfigInvalid,
      `no bootstrap credentials for mesh "${o.mesh}" in ${o.auth.authDir} (create them with \`plexus init --mesh ${o.mesh}\`)`,
    );
  }
  return creds;
}

/** Connects as the bootstrap user, gets the agent's user JWT from the registry, and disconnects (undefined: open server). */
async function bootstrap(o: NatsSessionOptions): Promise<NatsUserGrant | undefined> {
  const nc = await connectBus({
    servers: o.servers,
    name: `plexus-bootstrap ${o.key.did}`,
    credentials: { creds: await bootstrapCreds(o) },
    inboxPrefix: BOOTSTRAP_INBOX_PREFIX,
  });
  try {
    // A server without auth accepts any credentials: there is no user JWT to get.
    if (nc.info?.auth_required !== true) return undefined;
    return await new RegistryClient(nc, o.mesh).natsUser(o.key);
  } finally {
    await nc.close();
  }
}
