import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { beatKeyFor, checkBeatWith, encodeEvent, makeEvent, MAX_BEAT_SKEW_MS } from "@plexus/anp/internal";
import { publishDurably } from "@plexus/bus";
import { agentToken, type MeshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { RegistryState } from "../projection/index.js";
import { livenessAfter, type LivenessThresholds } from "./thresholds.js";

export interface LivenessMonitorOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  kv: KV;
  subjects: MeshSubjects;
  key: KeyPair;
  heartbeatSecret: Uint8Array;
  thresholds: LivenessThresholds;
  state: () => RegistryState;
  count: (name: string) => void;
  onError?: (err: unknown) => void;
  maxBeatSkewMs?: number;
}

interface LastBeat {
  at: number;
  revision: number;
}

/**
 * Watches the heartbeat bucket and turns silence into liveness transitions: every tick it compares each present
 * agent's silence with the thresholds and, where the recorded liveness differs, appends LivenessChanged. Several
 * registry nodes may do this at once: the event's Nats-Msg-Id is derived from (agent, new state, the heartbeat it
 * is based on), so the duplicate window stores each transition once, and the projection ignores a transition to
 * the state an agent is already in.
 */
export class LivenessMonitor {
  readonly #o: LivenessMonitorOptions;
  readonly #last = new Map<string, LastBeat>();
  readonly #inflight = new Set<string>();
  /** Per-agent heartbeat keys derived so far (one entry per agent that ever beat; 32 bytes each). */
  readonly #keys = new Map<string, Uint8Array>();
  readonly #keyOf = (did: string): Uint8Array => {
    let key = this.#keys.get(did);
    if (!key) {
      key = beatKeyFor(this.#o.heartbeatSecret, did);
      // Only agents the registry admitted get a cached key: forged DIDs cannot grow the cache.
      if (this.#o.state().agents.has(did)) this.#keys.set(did, key);
    }
    return key;
  };
  #watch: (AsyncIterable<KvWatchEntry> & { stop(): void }) | undefined;
  #watching: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beats = 0;

  constructor(options: LivenessMonitorOptions) {
    this.#o = options;
  }

  /** Heartbeats accepted since start. */
  get beats(): number {
    return this.#beats;
  }

  lastHeartbeat(did: string): number | undefined {
    return this.#last.get(did)?.at;
  }

  /** Resolves once the beats stored before the start have been read, so the first answers know them. */
  async start(tickMs: number): Promise<void> {
    const stored = (await this.#o.kv.status()).streamInfo.state.last_seq;
    const watch = await this.#o.kv.watch();
    this.#watch = watch;
    let caughtUp!: () => void;
    const initial = new Promise<void>((resolve) => (caughtUp = resolve));
    if (stored === 0) caughtUp();
    this.#watching = (async () => {
      try {
        for await (const entry of watch) {
          try {
            this.ingest(entry);
          } catch {
            // Agents write this bucket: whatever an entry makes go wrong is counted, and the watch goes on.
            this.#o.count("heartbeats.refused.unprocessable");
          }
          if (entry.revision >= stored) caughtUp();
        }
      } catch (err) {
        this.#o.onError?.(err);
      } finally {
        caughtUp();
      }
    })();
    await initial;
    this.#timer = setInterval(() => this.tick(Date.now()), tickMs);
    this.#timer.unref();
  }

  /** Takes one entry of the bucket (exposed for the benchmark, which measures ingestion). */
  ingest(entry: Pick<KvWatchEntry, "operation" | "value" | "created" | "revision">): void {
    if (entry.operation !== "PUT") return;
    const checked = checkBeatWith(
      this.#keyOf,
      entry.value,
      entry.created.getTime(),
      this.#o.maxBeatSkewMs ?? MAX_BEAT_SKEW_MS,
    );
    if (!checked.ok) {
      this.#o.count(`heartbeats.refused.${checked.reason}`);
      return;
    }
    const at = entry.created.getTime();
    const previous = this.#last.get(checked.beat.did);
    if (!previous || previous.revision < entry.revision)
      this.#last.set(checked.beat.did, { at, revision: entry.revision });
    this.#beats += 1;
  }

  /** Appends the transitions that `now` calls for. */
  tick(now: number): void {
    const state = this.#o.state();
    // A node whose key was rotated away signs nothing more (its events would not count).
    if (state.identity.isRetiredRegistry(this.#o.key.did)) return;
    for (const record of state.agents.values()) {
      if (!record.present) continue;
      const since = Math.max(this.#lastBeatOf(record.did, state), record.joinedAt);
      const expected = livenessAfter(now - since, this.#o.thresholds);
      if (expected === record.liveness) continue;
      const msgID = `live-${agentToken(record.did)}-${expected}-${since}`;
      if (this.#inflight.has(msgID)) continue;
      this.#inflight.add(msgID);
      const event = makeEvent(
        this.#o.key,
        "LivenessChanged",
        record.did,
        { from: record.liveness, to: expected, lastHeartbeat: since },
        now,
      );
      publishDurably(
        this.#o.nc,
        this.#o.js,
        this.#o.subjects.registryEvent("LivenessChanged", agentToken(record.did)),
        encodeEvent(event),
        { msgID, timeoutMs: 10_000 },
      )
        .then(() => this.#o.count(`liveness.${expected}`))
        .catch((err) => this.#o.onError?.(err))
        .finally(() => setTimeout(() => this.#inflight.delete(msgID), 5_000).unref());
    }
  }

  /**
   * The agent's last heartbeat, across its key rotations: a beat under a key it rotated away from counts up to the
   * rotation (so the switch itself is never a lapse), never after it (the old key may be a thief's now).
   */
  #lastBeatOf(did: string, state: RegistryState): number {
    let at = this.#last.get(did)?.at ?? 0;
    if (!state.identity.rotatedFrom.has(did)) return at;
    for (const previous of state.identity.lineage(did).slice(1)) {
      const beat = this.#last.get(previous)?.at;
      const rotatedAt = state.identity.rotations.get(previous)?.at;
      if (beat !== undefined && rotatedAt !== undefined) at = Math.max(at, Math.min(beat, rotatedAt));
    }
    return at;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#watch?.stop();
    await this.#watching;
  }
}
