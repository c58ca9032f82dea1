import type { KV } from "@nats-io/kv";
import { jetStreamError } from "@plexus/bus";
import { heartbeatKey } from "./heartbeat-bucket.js";
import { makeBeat } from "./heartbeat.js";

export interface HeartbeaterOptions {
  intervalMs: number;
  /**
   * Called when a beat could not be stored (the next one is tried on schedule), with a PlexusError that says what
   * failed: JETSTREAM_UNAVAILABLE when the bucket has no leader (a cluster without quorum), NATS_UNAVAILABLE when
   * disconnected, REQUEST_REFUSED for a permission (never the client's "jetstream is not enabled").
   */
  onError?: (err: unknown) => void;
}

/** Puts a beat in the heartbeat bucket now and then every `intervalMs` until stopped. */
export class Heartbeater {
  readonly #kv: KV;
  readonly #did: string;
  readonly #key: Uint8Array;
  readonly #options: HeartbeaterOptions;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #beats = 0;

  constructor(kv: KV, did: string, beatKey: Uint8Array, options: HeartbeaterOptions) {
    this.#kv = kv;
    this.#did = did;
    this.#key = beatKey;
    this.#options = options;
  }

  get beats(): number {
    return this.#beats;
  }

  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => {
      this.beat().catch((err) => this.#options.onError?.(err));
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Puts one beat; a failure is a PlexusError naming what failed (see `onError`). */
  async beat(): Promise<void> {
    this.#seq += 1;
    try {
      await this.#kv.put(heartbeatKey(this.#did), JSON.stringify(makeBeat(this.#key, this.#did, this.#seq)));
    } catch (err) {
      throw jetStreamError(err, "the heartbeat bucket");
    }
    this.#beats += 1;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
