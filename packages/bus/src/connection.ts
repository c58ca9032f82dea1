import { connect, type Authenticator, type NatsConnection } from "@nats-io/transport-node";
import { Defaults, ErrorCode, PlexusError } from "@plexus/core";
import { fastJwtAuthenticator, parseCreds } from "./auth/fast-nkey.js";

/**
 * How to authenticate to a server in operator mode: a .creds file's content (service and bootstrap users), or a
 * user JWT source and the user's nkey seed. `jwt` is called on every (re)connect, so a renewed JWT takes effect at the
 * next reconnect.
 */
export type BusCredentials = { creds: Uint8Array | string } | { jwt: () => string; seed: Uint8Array };

export interface BusConnectOptions {
  /** One URL or several, comma-separated or as an array. */
  servers?: string | string[];
  /** Connection name shown by the server's monitoring. */
  name?: string;
  /** How long to keep trying the first connection (ms). Reconnection after that never gives up. */
  connectTimeoutMs?: number;
  /** Credentials for a server in operator mode; none for an open server. */
  credentials?: BusCredentials;
  /** Prefix of the connection's reply inboxes (default `_INBOX`); an agent's permissions allow only its own. */
  inboxPrefix?: string;
}

function authenticator(credentials: BusCredentials): Authenticator {
  if ("creds" in credentials) {
    const { jwt, seed } = parseCreds(credentials.creds);
    return fastJwtAuthenticator(() => jwt, seed);
  }
  return fastJwtAuthenticator(credentials.jwt, credentials.seed);
}

function serverList(servers: string | string[] | undefined): string[] {
  const list = Array.isArray(servers) ? servers : (servers ?? Defaults.natsUrl).split(",");
  return list.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Connects to NATS. The connection reconnects forever, so a server restart is a pause, not an error;
 * a server that cannot be reached at first is a clear NATS_UNAVAILABLE error (REQUEST_REFUSED when it refuses the credentials).
 */
export async function connectBus(options: BusConnectOptions = {}): Promise<NatsConnection> {
  const servers = serverList(options.servers);
  try {
    return await connect({
      servers,
      name: options.name ?? "plexus",
      timeout: options.connectTimeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 10_000,
      // No async stack traces on every request: they cost ~20 µs per JetStream publish.
      noAsyncTraces: true,
      ...(options.credentials ? { authenticator: authenticator(options.credentials) } : {}),
      ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    });
  } catch (err) {
    // Refused credentials are not an outage: retrying the same connection cannot help (ERROR_SPECS: not retryable).
    const refused = /^(AuthorizationError|UserAuthenticationExpiredError)$/.test((err as Error).name);
    throw new PlexusError(
      refused ? ErrorCode.RequestRefused : ErrorCode.NatsUnavailable,
      `cannot reach NATS at ${servers.join(", ")}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
