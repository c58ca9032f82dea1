import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { beatKeyFor, checkBeatWith, encodeEvent, makeEvent, MAX_BEAT_SKEW_MS } from "@plexus/anp/internal";
import { publishDurably } from "@plexus/bus";
import { agentToken, type MeshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { RegistryState } from "../projection/index.js";
import { BucketWatch } from "./bucket-watch.js";
import { judge, SilenceExcuses, type ExcuseOptions, type Judged } from "./excuses.js";
import type { LivenessThresholds } from "./thresholds.js";

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
  /** Lines for people: when the registry cannot read heartbeats, and when it can again. */
  log?: (line: string) => void;
  maxBeatSkewMs?: number;
  /** The common-gap rule's settings (excuses.ts). */
  excuses?: ExcuseOptions;
  /** How often the watch is checked, and how long it may deliver nothing while behind (bucket-watch.ts). */
  watchCheckMs?: number;
  watchStallMs?: number;
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
 *
 * A silence the registry's own loss of JetStream explains is nobody's: while it cannot read the bucket, or when every
 * present agent's beats stopped at once, it judges nobody, and afterwards silences count from the recovery
 * (excuses.ts). The watch is started again whenever it stalls or ends (bucket-watch.ts).
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
  #watch: BucketWatch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beats = 0;
  readonly #excuses: SilenceExcuses;

  constructor(options: LivenessMonitorOptions) {
    this.#o = options;
    this.#excuses = new SilenceExcuses(options.thresholds, options.excuses);
  }

  /** Heartbeats accepted since start. */
  get beats(): number {
    return this.#beats;
  }

  /** Whether the registry cannot read heartbeats now (nobody is judged meanwhile). */
  get blind(): boolean {
    return this.#excuses.blind;
  }

  /** Times the heartbeat watch was started again. */
  get watchRestarts(): number {
    return this.#watch?.restarts ?? 0;
  }

  lastHeartbeat(did: string): number | undefined {
    return this.#last.get(did)?.at;
  }

  /** Resolves once the beats stored before the start have been read, so the first answers know them. */
  async start(tickMs: number): Promise<void> {
    this.#watch = new BucketWatch({
      nc: this.#o.nc,
      kv: this.#o.kv,
      onEntry: (entry) => {
        try {
          this.ingest(entry);
        } catch {
          // Agents write this bucket: whatever an entry makes go wrong is counted, and the watch goes on.
          this.#o.count("heartbeats.refused.unprocessable");
        }
      },
      onLost: (at, reason) => {
        this.#excuses.lost(at);
        this.#o.log?.(`registry: liveness: cannot read heartbeats (${reason}); judging no agent until it can`);
      },
      onRecovered: (at) => {
        this.#excuses.recovered(at);
        this.#o.log?.("registry: liveness: reading heartbeats again; silences count from now");
      },
      ...(this.#o.onError ? { onError: this.#o.onError } : {}),
      ...(this.#o.watchCheckMs !== undefined ? { checkMs: this.#o.watchCheckMs } : {}),
      ...(this.#o.watchStallMs !== undefined ? { stallMs: this.#o.watchStallMs } : {}),
    });
    await this.#watch.start();
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
    this.#excuses.beat(at);
  }

  /** Appends the transitions that `now` calls for. */
  tick(now: number): void {
    const state = this.#o.state();
    // A node whose key was rotated away signs nothing more (its events would not count).
    if (state.identity.isRetiredRegistry(this.#o.key.did)) return;
    const agents: Judged[] = [];
    for (const record of state.agents.values()) {
      if (!record.present) continue;
      agents.push({
        did: record.did,
        since: Math.max(this.#lastBeatOf(record.did, state), record.joinedAt),
        liveness: record.liveness,
      });
    }
    for (const { did, from, to, since } of judge(now, agents, this.#excuses, this.#o.thresholds))
      this.#append(did, from, to, since, now);
  }

  #append(did: string, from: Judged["liveness"], to: Judged["liveness"], since: number, now: number): void {
    const msgID = `live-${agentToken(did)}-${to}-${since}`;
    if (this.#inflight.has(msgID)) return;
    this.#inflight.add(msgID);
    const event = makeEvent(this.#o.key, "LivenessChanged", did, { from, to, lastHeartbeat: since }, now);
    publishDurably(
      this.#o.nc,
      this.#o.js,
      this.#o.subjects.registryEvent("LivenessChanged", agentToken(did)),
      encodeEvent(event),
      { msgID, timeoutMs: 10_000 },
    )
      .then(() => this.#o.count(`liveness.${to}`))
      .catch((err) => this.#o.onError?.(err))
      .finally(() => setTimeout(() => this.#inflight.delete(msgID), 5_000).unref());
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
    await this.#watch?.stop();
  }
}
