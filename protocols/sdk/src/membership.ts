import type { NatsConnection } from "@nats-io/transport-node";
import { RegistryClient, type AgentCard, type JoinResult } from "@plexus/anp";
import { Heartbeater, openHeartbeatBucket } from "@plexus/anp/internal";
import { jetStreamError } from "@plexus/bus";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";

export interface JoinOptions {
  /** Beat every this many ms (default: what the registry asks for, 5 s unless configured). */
  heartbeatMs?: number;
}

/**
 * An agent's membership in a mesh: join (challenge-response, signed card), heart-beat while joined, leave.
 * Closing without leaving just stops the beats: the registry then sees the agent go suspect, offline, gone.
 */
export class Membership {
  readonly registry: RegistryClient;
  readonly #nc: NatsConnection;
  readonly #key: KeyPair;
  readonly #onError: ((err: unknown) => void) | undefined;
  #heartbeater: Heartbeater | undefined;
  #joined: JoinResult | undefined;
  #renewal: NodeJS.Timeout | undefined;
  #card: AgentCard | undefined;

  constructor(nc: NatsConnection, mesh: string, key: KeyPair, onError?: (err: unknown) => void) {
    this.#nc = nc;
    this.#key = key;
    this.#onError = onError;
    this.registry = new RegistryClient(nc, mesh);
  }

  get joined(): JoinResult | undefined {
    return this.#joined;
  }

  /** The card of the current membership, if joined. */
  get card(): AgentCard | undefined {
    return this.#joined ? this.#card : undefined;
  }

  async join(card: AgentCard, options: JoinOptions = {}): Promise<JoinResult> {
    const interval = options.heartbeatMs;
    if (interval !== undefined && !(Number.isFinite(interval) && interval >= 50)) {
      throw new PlexusError(ErrorCode.InvalidArgument, `heartbeatMs must be at least 50, got ${interval}`);
    }
    const result = await this.registry.join(this.#key, card);
    this.#heartbeater?.stop();
    this.#card = card;
    // Opening the bucket asks JetStream for its info: without a leader that fails, and says so (not "not enabled").
    const kv = await openHeartbeatBucket(this.#nc, result.heartbeat.bucket, false).catch((err: unknown) => {
      throw jetStreamError(err, "the heartbeat bucket");
    });
    this.#heartbeater = new Heartbeater(kv, this.#key.did, Buffer.from(result.heartbeat.key, "base64url"), {
      intervalMs: interval ?? result.heartbeat.intervalMs,
      ...(this.#onError ? { onError: this.#onError } : {}),
    });
    await this.#heartbeater.start();
    this.#joined = result;
    this.#scheduleRenewal(options, result);
    return result;
  }

  /**
   * Joins again at 80 % of the credential's lifetime, so a long-lived agent always holds a valid membership
   * credential (the registry records the rejoin; tenure counts from the first join). A failed renewal is retried
   * a minute later and reported to onError.
   */
  #scheduleRenewal(options: JoinOptions, result: JoinResult, delayMs = (result.expiresAt - Date.now()) * 0.8): void {
    if (this.#renewal) clearTimeout(this.#renewal);
    this.#renewal = setTimeout(
      () => {
        const card = this.#card;
        if (!card || !this.#joined) return;
        this.join(card, options).catch((err) => {
          this.#onError?.(err);
          if (this.#joined) this.#scheduleRenewal(options, result, 60_000);
        });
      },
      Math.max(1_000, Math.min(delayMs, 2 ** 31 - 1)),
    );
    this.#renewal.unref();
  }

  async update(card: AgentCard): Promise<{ seq: number }> {
    if (!this.#joined) throw new PlexusError(ErrorCode.InvalidArgument, "join before updating the card");
    const updated = await this.registry.update(this.#key, card);
    this.#card = card;
    return updated;
  }

  async leave(): Promise<void> {
    this.stop();
    if (!this.#joined) return;
    await this.registry.leave(this.#key);
    this.#joined = undefined;
  }

  /** Stops heart-beating (and renewing) without leaving. */
  stop(): void {
    if (this.#renewal) clearTimeout(this.#renewal);
    this.#renewal = undefined;
    this.#heartbeater?.stop();
    this.#heartbeater = undefined;
  }
}
