import type { NatsConnection } from "@nats-io/transport-node";
import { Heartbeater, RegistryClient, openHeartbeatBucket, type AgentCard, type JoinResult } from "@plexus/anp";
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

  constructor(nc: NatsConnection, mesh: string, key: KeyPair, onError?: (err: unknown) => void) {
    this.#nc = nc;
    this.#key = key;
    this.#onError = onError;
    this.registry = new RegistryClient(nc, mesh);
  }

  get joined(): JoinResult | undefined {
    return this.#joined;
  }

  async join(card: AgentCard, options: JoinOptions = {}): Promise<JoinResult> {
    const interval = options.heartbeatMs;
    if (interval !== undefined && !(Number.isFinite(interval) && interval >= 50)) {
      throw new PlexusError(ErrorCode.InvalidArgument, `heartbeatMs must be at least 50, got ${interval}`);
    }
    this.#heartbeater?.stop();
    const result = await this.registry.join(this.#key, card);
    const kv = await openHeartbeatBucket(this.#nc, result.heartbeat.bucket, false);
    this.#heartbeater = new Heartbeater(kv, this.#key.did, Buffer.from(result.heartbeat.key, "base64url"), {
      intervalMs: interval ?? result.heartbeat.intervalMs,
      ...(this.#onError ? { onError: this.#onError } : {}),
    });
    await this.#heartbeater.start();
    this.#joined = result;
    return result;
  }

  async update(card: AgentCard): Promise<{ seq: number }> {
    if (!this.#joined) throw new PlexusError(ErrorCode.InvalidArgument, "join before updating the card");
    return this.registry.update(this.#key, card);
  }

  async leave(): Promise<void> {
    this.stop();
    if (!this.#joined) return;
    await this.registry.leave(this.#key);
    this.#joined = undefined;
  }

  /** Stops heart-beating without leaving. */
  stop(): void {
    this.#heartbeater?.stop();
    this.#heartbeater = undefined;
  }
}
