import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  openHeartbeatBucket,
  readRegistryRotations,
  registryHeartbeatSecret,
  registryPredecessors,
} from "@plexus/anp/internal";
import { topicNamesKey } from "@plexus/acp";
import {
  connectBus,
  ensureMeshStream,
  ensureTopicStream,
  HistoryAnchors,
  HistoryGuard,
  startWithJetStream,
} from "@plexus/bus";
import { ErrorCode, PlexusError, meshSubjects, type MeshSubjects } from "@plexus/core";
import { serveRegistryHttp, type RegistryHttpServer } from "../http/index.js";
import { watchReplication, type ReplicationWatch } from "@plexus/bus";
import { LivenessMonitor } from "../liveness/monitor.js";
import {
  LogFollower,
  Projector,
  RegistryState,
  loadSnapshot,
  saveSnapshot,
  snapshotStream,
  type ProjectionOptions,
  type StreamIdentity,
} from "../projection/index.js";
import { Admission } from "../service/admission.js";
import { IdentityRequests } from "../service/identity-requests.js";
import { NatsUsers } from "../service/nats-users.js";
import { TopicConsumers } from "../service/topic-consumers.js";
import { TrustRequests } from "../service/trust-requests.js";
import { CredentialRequests } from "../service/credential-requests.js";
import { evidenceSummary, type RegistryStatus } from "../service/queries-api.js";
import { RegistryQueries } from "../service/queries.js";
import { Responder } from "../service/responder.js";
import { resolveOptions, type RegistryNodeOptions, type ResolvedOptions } from "./options.js";

export const DEFAULT_REGISTRY_HTTP = { host: "127.0.0.1", port: 7420 } as const;

/**
 * One registry node: follows the mesh log into its state (from a snapshot plus the tail), watches heartbeats,
 * admits agents, and answers queries over NATS (queue group shared with the mesh's other registry nodes) and HTTP.
 *
 * It trusts the mesh log only while the log keeps its history and is the stream it saw before (HistoryGuard: at start,
 * after reconnects, every `historyCheckMs`; the creation time is remembered in `dataDir`). A refused log stops the
 * following, the liveness watch and the responder; HTTP stays up so /readyz answers 503 with the reason.
 */
export class RegistryNode {
  readonly did: string;
  readonly mesh: string;
  readonly subjects: MeshSubjects;
  readonly queries: RegistryQueries;
  httpUrl: string | undefined;
  readonly #o: RegistryNodeOptions;
  readonly #r: ResolvedOptions;
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #counters: Record<string, number> = {};
  readonly #startedAt = Date.now();
  #state!: RegistryState;
  #projector!: Projector;
  #follower: LogFollower | undefined;
  #monitor: LivenessMonitor | undefined;
  #responder: Responder | undefined;
  #http: RegistryHttpServer | undefined;
  #identity!: StreamIdentity;
  #rebuild = { fromSnapshot: false, snapshotSeq: 0, events: 0, ms: 0 };
  #snapshotTimer: NodeJS.Timeout | undefined;
  #snapshotSeq = 0;
  #snapshotting: Promise<void> | undefined;
  #stopped = false;
  #natsUsers: NatsUsers | undefined;
  #guard: HistoryGuard | undefined;
  #refusal: PlexusError | undefined;
  #replication: ReplicationWatch | undefined;

  private constructor(
    options: RegistryNodeOptions,
    resolved: ResolvedOptions,
    nc: NatsConnection,
    jsm: JetStreamManager,
  ) {
    this.#o = options;
    this.#r = resolved;
    this.#nc = nc;
    this.#jsm = jsm;
    this.did = options.key.did;
    this.mesh = options.mesh;
    this.subjects = meshSubjects(options.mesh);
    this.queries = new RegistryQueries(
      { state: () => this.#state, monitor: () => this.#monitor, status: () => this.status() },
      {
        clockStepMs: resolved.clockStepMs,
        refreshMs: resolved.refreshMs,
        model: { halfLifeMs: resolved.halfLifeMs },
        rank: { explorationShare: resolved.explorationShare },
      },
    );
  }

  static async start(options: RegistryNodeOptions): Promise<RegistryNode> {
    const resolved = resolveOptions(options);
    const credentials = options.natsAuth ? { credentials: { creds: options.natsAuth.serviceCreds } } : {};
    const nc = await connectBus({ servers: options.nats, name: `plexus-registry-${options.mesh}`, ...credentials });
    try {
      // Started before the cluster has a quorum (or while the mesh stream has no leader): wait, saying so, then start;
      // a start that times out on JetStream meanwhile undoes itself and is tried again.
      const subjects = meshSubjects(options.mesh);
      return await startWithJetStream(
        nc,
        async () => {
          const node = new RegistryNode(options, resolved, nc, await jetstreamManager(nc));
          try {
            await node.#start();
            return node;
          } catch (err) {
            // Whatever started before the failure (say, the HTTP port was taken) stops with it.
            await node.#halt().catch(() => undefined);
            throw err;
          }
        },
        {
          streams: [subjects.stream, `KV_${subjects.heartbeatBucket}`],
          ...(options.log ? { log: (line: string) => options.log?.(line) } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  /** Issues and revokes the agents' NATS users (operator mode; `enabled` false without `natsAuth`). */
  get natsUsers(): NatsUsers | undefined {
    return this.#natsUsers;
  }

  /** The liveness monitor (heartbeats read, whether it can read them now, its watch's restarts), once started. */
  get monitor(): LivenessMonitor | undefined {
    return this.#monitor;
  }

  get state(): RegistryState {
    return this.#state;
  }

  /** Following the log it trusts, caught up with it as it stood at start, and not more than the allowed lag behind. */
  get ready(): boolean {
    return !this.#stopped && this.#refusal === undefined && this.#follower?.caughtUp === true && !this.#lagging();
  }

  /**
   * More than `maxLagEvents` or `maxLagSeconds` behind the log's end, or unable to read that end for more than
   * `maxLagSeconds` (0: no limit).
   */
  #lagging(): boolean {
    const lag = this.#follower?.lag();
    if (!lag) return false;
    const { maxLagEvents, maxLagSeconds } = this.#r;
    if (maxLagEvents > 0 && lag.events > maxLagEvents) return true;
    if (maxLagSeconds <= 0) return false;
    return lag.seconds > maxLagSeconds || (lag.endReadSeconds ?? 0) > maxLagSeconds;
  }

  /**
   * Holds the state still (nothing more is read or applied; queries answer from the state as it stands) until the
   * returned function is called: what a snapshot does, and how a test makes a node fall behind the log on purpose.
   */
  pauseFollowing(): () => void {
    return this.#followerOrThrow().pause();
  }

  /** Resolves once this node has applied log position `seq`. */
  waitFor(seq: number, timeoutMs?: number): Promise<void> {
    return this.#followerOrThrow().waitFor(seq, timeoutMs);
  }

  #followerOrThrow(): LogFollower {
    if (!this.#follower)
      throw new PlexusError(ErrorCode.NotReady, "the registry node has not started following the log");
    return this.#follower;
  }

  #count = (name: string): void => {
    this.#counters[name] = (this.#counters[name] ?? 0) + 1;
  };

  #log(line: string): void {
    this.#o.log?.(line);
  }

  /** What the projection needs to know; a function of the options, so every node started alike projects alike. */
  #projectionOptions(): ProjectionOptions {
    const r = this.#r;
    // In operator mode the server pins each agent's publish subjects to it (see ProjectionOptions.pinnedPublishers).
    return {
      halfLifeMs: r.halfLifeMs,
      replyWindowMs: r.replyWindowMs,
      responsivenessRefMs: 1_000,
      pinnedPublishers: this.#o.pinnedPublishers ?? this.#o.natsAuth !== undefined,
    };
  }

  async #start(): Promise<void> {
    const o = this.#o;
    const r = this.#r;
    const started = Date.now();
    await ensureMeshStream(this.#nc, o.mesh);
    this.#replication = await watchReplication({
      nc: this.#nc,
      mesh: o.mesh,
      log: (_, line) => this.#log(`registry: ${line}`),
    });
    const anchors = new HistoryAnchors(o.dataDir);
    // A snapshot from before anchors existed records the creation time of the stream it was taken from.
    const snapshotOf = o.dataDir ? await snapshotStream(o.dataDir) : undefined;
    if (snapshotOf?.stream === this.subjects.stream)
      await anchors.seed(snapshotOf.stream, snapshotOf.created, "(the snapshot's stream)");
    this.#guard = new HistoryGuard({
      nc: this.#nc,
      streams: [this.subjects.stream],
      anchors,
      ...(o.historyCheckMs !== undefined ? { intervalMs: o.historyCheckMs } : {}),
      onRefused: (refusal) => void this.#refuse(refusal),
    });
    const refusal = await this.#guard.check();
    if (refusal) {
      // Not followed, not served: only the HTTP status says why.
      this.#state = new RegistryState(this.#projectionOptions());
      await this.#refuse(refusal);
      await this.#serveHttp();
      return;
    }
    const kv = await openHeartbeatBucket(
      this.#nc,
      this.subjects.heartbeatBucket,
      true,
      this.#replication.current()?.asked,
    );
    const info = await this.#jsm.streams.info(this.subjects.stream);
    this.#identity = {
      mesh: o.mesh,
      stream: this.subjects.stream,
      created: info.created,
      lastSeq: info.state.last_seq,
    };
    const projection = this.#projectionOptions();
    this.#state = new RegistryState(projection);
    if (o.dataDir) {
      const loaded = await loadSnapshot(o.dataDir, projection, this.#identity);
      if (loaded.state) {
        this.#state = loaded.state;
        this.#rebuild.fromSnapshot = true;
        this.#rebuild.snapshotSeq = loaded.seq;
        this.#snapshotSeq = loaded.seq;
      } else {
        this.#log(`registry: rebuilding from the start of the log (${loaded.reason})`);
      }
    }
    // A rotated key trusts the keys it succeeded (for the log before their rotation) and inherits the heartbeat secret.
    const rotations = await readRegistryRotations(this.#nc, this.subjects);
    const trusted = new Set([this.did, ...registryPredecessors(this.did, rotations), ...(o.trustedRegistries ?? [])]);
    this.#projector = new Projector(this.#state, o.mesh, trusted);
    const js = jetstream(this.#nc);
    const startSeq = this.#state.seq;
    const follower = new LogFollower({
      js,
      stream: this.subjects.stream,
      projector: this.#projector,
      startEnd: info.state.last_seq,
      onError: (err) => this.#log(`registry: following the log failed: ${(err as Error).message}`),
      jsm: this.#jsm,
      checkMs: r.followerCheckMs,
      stallMs: r.followerStallMs,
      log: (line) => this.#log(line),
    });
    this.#follower = follower;
    await follower.start();
    await follower.waitFor(info.state.last_seq, 24 * 3600_000);
    this.#rebuild.events = this.#state.seq - startSeq;
    this.#rebuild.ms = Date.now() - started;

    const secret = registryHeartbeatSecret(o.key, o.mesh, rotations);
    this.#monitor = new LivenessMonitor({
      nc: this.#nc,
      js,
      kv,
      subjects: this.subjects,
      key: o.key,
      heartbeatSecret: secret,
      thresholds: r.thresholds,
      state: () => this.#state,
      count: this.#count,
      onError: (err) => this.#log(`registry: liveness: ${(err as Error).message}`),
      log: (line) => this.#log(line),
    });
    await this.#monitor.start(Math.max(50, Math.min(1_000, Math.floor(r.thresholds.suspectAfterMs / 5))));

    let natsUsers!: NatsUsers;
    const admission = new Admission({
      nc: this.#nc,
      js,
      jsm: this.#jsm,
      subjects: this.subjects,
      key: o.key,
      trusted,
      state: () => this.#state,
      follower: () => follower,
      heartbeats: kv,
      heartbeatSecret: secret,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      credentialTtlMs: r.credentialTtlMs,
      challengeTtlMs: r.challengeTtlMs,
      count: this.#count,
      ...(o.natsAuth && this.#nc.info?.auth_required === true
        ? { natsUser: (did: string) => natsUsers.issue(did) }
        : {}),
    });
    // Given auth but an open server (no auth required): there are no NATS users to issue or revoke.
    const natsAuth = this.#nc.info?.auth_required === true ? o.natsAuth : undefined;
    natsUsers = new NatsUsers({
      admission,
      mesh: o.mesh,
      auth: natsAuth,
      servers: o.nats,
      ttlMs: r.natsUserTtlMs,
      count: this.#count,
    });
    this.#natsUsers = natsUsers;
    const operators = new Set([this.did, ...(o.operators ?? [])]);
    const identity = new IdentityRequests({
      admission,
      state: () => this.#state,
      operators,
      // The kill switch: a suspended agent's NATS user is revoked (disconnected at once), a resumed one restored.
      onSuspended: (did) => natsUsers.revoke(did),
      onResumed: (did) => natsUsers.unrevoke(did),
      onRotated: (from) => natsUsers.revoke(from),
      onError: (err) => this.#log(`registry: revoking a rotated key's NATS user failed: ${(err as Error).message}`),
    });
    if (natsUsers.enabled) {
      const ids = this.#state.identity;
      const fixed = await natsUsers.reconcile(
        [...ids.suspended.keys(), ...ids.rotatedTo.keys()],
        this.#state.agents.keys(),
      );
      if (fixed.revoked + fixed.restored > 0)
        this.#log(
          `registry: NATS users brought in line with the log: ${fixed.revoked} revoked, ${fixed.restored} restored`,
        );
    }
    const credentials = new CredentialRequests({
      admission,
      state: () => this.#state,
      mesh: o.mesh,
      registries: trusted,
      audience: [this.did],
    });
    const trust = new TrustRequests({ admission, state: () => this.#state, operators, registry: this.did });
    await this.#configureAnchors(trust);
    // Operator mode: topic durables are made here, on the topic stream, where agents may only read (see topic-consumers.ts).
    if (natsAuth) await ensureTopicStream(this.#nc, o.mesh);
    const topics = new TopicConsumers({
      admission,
      jsm: this.#jsm,
      subjects: this.subjects,
      namesKey: natsAuth ? topicNamesKey(natsAuth.accountKey.getSeed(), o.mesh) : undefined,
      count: this.#count,
    });
    this.#responder = new Responder({
      nc: this.#nc,
      subjects: this.subjects,
      admission,
      identity,
      credentials,
      natsUsers,
      topics,
      trust,
      queries: this.queries,
      ready: () => this.ready,
      count: this.#count,
    });
    this.#responder.start();
    // Once start() resolves the node answers: the server has its queue-group subscription (a request sent right after
    // would otherwise find no responders).
    await this.#nc.flush();
    await this.#replication.refresh(); // the streams and bucket made since the first read
    await this.#serveHttp();
    if (o.dataDir) {
      this.#snapshotTimer = setInterval(() => void this.snapshot(), r.snapshotIntervalMs);
      this.#snapshotTimer.unref();
    }
    // Checks again (the log may have changed while the node caught up), then after reconnects and on the interval.
    const late = await this.#guard.start();
    if (late) await this.#refuse(late);
  }

  /**
   * The configured anchors (`trustAnchors`) become log events once the node has caught up, so they count on every node;
   * one already anchored appends nothing. A node whose key was rotated away signs nothing (it says so).
   */
  async #configureAnchors(trust: TrustRequests): Promise<void> {
    const dids = this.#o.trustAnchors ?? [];
    if (dids.length === 0) return;
    if (this.#state.identity.isRetiredRegistry(this.did)) {
      this.#log("registry: not recording the configured trust anchors: this node's key was rotated away");
      return;
    }
    const added = await trust.configure(dids);
    if (added > 0) this.#log(`registry: recorded ${added} configured trust anchor${added === 1 ? "" : "s"} in the log`);
  }

  async #serveHttp(): Promise<void> {
    const o = this.#o;
    const http = o.http === undefined ? DEFAULT_REGISTRY_HTTP : o.http;
    if (!http) return;
    const onError = (err: unknown) => this.#log(`registry: http: ${(err as Error).message}`);
    const mcp = o.mcp ? { mcp: o.mcp({ mesh: o.mesh, queries: this.queries, nc: this.#nc, onError }) } : {};
    const replication = () => this.#replication?.current();
    this.#http = await serveRegistryHttp(this.queries, { ...http, onError, replication, ...mcp });
    this.httpUrl = this.#http.url;
  }

  /** The refusal of the mesh log, if any (HISTORY_STREAM_*): the node then neither follows nor serves. */
  get refusal(): PlexusError | undefined {
    return this.#refusal;
  }

  /** Refuses the log for good: says so at error level, and stops following it and answering from it. */
  async #refuse(refusal: PlexusError): Promise<void> {
    if (this.#refusal) return;
    this.#refusal = refusal;
    this.#guard?.stop();
    try {
      if (this.#o.onRefused) this.#o.onRefused(refusal);
      else this.#log(`registry: ERROR: ${refusal.message} [${refusal.code}]; not ready, not following the log`);
    } catch {
      // a failing reporter must not keep the node serving
    }
    if (this.#snapshotTimer) clearInterval(this.#snapshotTimer);
    await this.#responder?.stop();
    await this.#monitor?.stop();
    await this.#follower?.stop();
  }

  /**
   * Writes a snapshot now if the state moved since the last one (no-op without a data folder). Resolves to the log
   * position of the newest snapshot written (0: none yet).
   */
  async snapshot(): Promise<number> {
    await this.#writeSnapshot();
    return this.#snapshotSeq;
  }

  #writeSnapshot(): Promise<void> | undefined {
    const dir = this.#o.dataDir;
    // A refused log: the state is not saved as if it belonged to the stream now under that name.
    if (!dir || this.#refusal || this.#state.seq === this.#snapshotSeq || this.#snapshotting) return this.#snapshotting;
    // The state must stand still while the snapshot is written in many turns: the follower pauses (queries are
    // still answered, from the state as of the pause).
    const resume = this.#follower?.pause();
    const seq = this.#state.seq;
    this.#snapshotting = saveSnapshot(dir, this.#state, this.#identity)
      .then(() => {
        this.#snapshotSeq = seq;
      })
      .catch((err) => this.#log(`registry: snapshot failed: ${(err as Error).message}`))
      .finally(() => {
        resume?.();
        this.#snapshotting = undefined;
      });
    return this.#snapshotting;
  }

  status(): RegistryStatus {
    const agents = { total: 0, present: 0, alive: 0, suspect: 0, offline: 0, gone: 0 };
    for (const a of this.#state.agents.values()) {
      agents.total += 1;
      if (!a.present) continue;
      agents.present += 1;
      agents[a.liveness] += 1;
    }
    const components = this.#components();
    const componentsReady = Object.values(components ?? {}).every((c) => c.ready);
    return {
      mesh: this.mesh,
      registry: this.did,
      registryKeys: [...this.#state.identity.registryKeys].filter(
        (did) => !this.#state.identity.isRetiredRegistry(did),
      ),
      ready: this.ready && componentsReady,
      connected: !this.#nc.isClosed(),
      seq: this.#state.seq,
      agents,
      counters: { ...this.#state.counters, ...this.#counters, heartbeats: this.#monitor?.beats ?? 0 },
      evidence: evidenceSummary(this.#state.counters),
      startedAt: this.#startedAt,
      rebuild: { ...this.#rebuild },
      ...(this.#follower ? { lag: this.#follower.lag() } : {}),
      ...(this.#refusal ? { refused: refusalOf(this.#refusal) } : {}),
      ...(components ? { components } : {}),
    };
  }

  /** The other parts' health (options.components); a part whose check throws counts as not ready. */
  #components(): Record<string, { ready: boolean }> | undefined {
    const parts = this.#o.components;
    if (!parts || Object.keys(parts).length === 0) return undefined;
    const out: Record<string, { ready: boolean }> = {};
    for (const [name, check] of Object.entries(parts)) {
      try {
        out[name] = check();
      } catch (err) {
        out[name] = { ready: false, error: (err as Error).message } as { ready: boolean };
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    await this.#halt();
    await this.#snapshotting;
    await this.snapshot();
    await this.#nc.drain().catch(() => this.#nc.close());
  }

  /** Stops serving and following, in the reverse order of starting; the connection stays open. */
  async #halt(): Promise<void> {
    this.#stopped = true;
    this.#guard?.stop();
    this.#replication?.stop();
    if (this.#snapshotTimer) clearInterval(this.#snapshotTimer);
    await this.#responder?.stop();
    await this.#http?.close();
    await this.#monitor?.stop();
    await this.#follower?.stop();
  }
}

function refusalOf(err: PlexusError): { code: string; stream: string; reason: string } {
  const d = err.details ?? {};
  return { code: err.code, stream: String(d["stream"] ?? ""), reason: String(d["reason"] ?? err.message) };
}

export function startRegistryNode(options: RegistryNodeOptions): Promise<RegistryNode> {
  return RegistryNode.start(options);
}
