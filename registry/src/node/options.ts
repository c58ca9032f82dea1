import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_CHALLENGE_TTL_MS } from "@plexus/anp/internal";
import { ErrorCode, PlexusError, assertMeshId } from "@plexus/core";
import { isDid, type KeyPair } from "@plexus/identity";
import type { MeshAuth } from "@plexus/bus";
import type { RegistryMcpFactory } from "../http/server.js";
import { DEFAULT_PROJECTION_OPTIONS } from "../projection/index.js";
import { checkThresholds, defaultThresholds, type LivenessThresholds } from "../liveness/thresholds.js";

export interface RegistryNodeOptions {
  nats: string | string[];
  mesh: string;
  /** The registry's key: signs events, credentials and challenges; its DID is the registry's identity. */
  key: KeyPair;
  /** HTTP API address (default 127.0.0.1:7420); false for none. Port 0 picks a free port. */
  http?: { host: string; port: number } | false;
  /**
   * Serve MCP (Streamable HTTP, no agent identity) at /mcp on the HTTP server: the handler factory, given this node's
   * queries and connection once they exist (default: no /mcp). The registry does not build MCP itself (@plexus/mcp sits
   * below it, and its tests start registry nodes): the process that composes a node injects it (@plexus/nodes
   * `registryMcp`).
   */
  mcp?: RegistryMcpFactory;
  /** Folder for snapshots of the registry state; without it every start replays the whole log. */
  dataDir?: string;
  /** Other registry DIDs whose events this node accepts (its own is always trusted). */
  trustedRegistries?: string[];
  /** How often agents are told to beat (default 5 s). */
  heartbeatIntervalMs?: number;
  suspectAfterMs?: number;
  offlineAfterMs?: number;
  goneAfterMs?: number;
  /** Membership credential lifetime (default 24 h). */
  credentialTtlMs?: number;
  challengeTtlMs?: number;
  /** Half-life of reputation evidence (default 7 days). */
  halfLifeMs?: number;
  /**
   * DIDs to make trust anchors (role agent) of the mesh: once the node has caught up with the log at start, it appends
   * TrustAnchorAdded (by its own DID) for each that is not one yet. Leaving a DID out later does not remove it from
   * the log: an operator's `trust remove` request does (plexus trust remove).
   */
  trustAnchors?: string[];
  /** DIDs that may suspend and resume agents (the registry's own key always may). */
  operators?: string[];
  /** A request unanswered this long (log time) counts against the recipient (default 60 s). */
  replyWindowMs?: number;
  clockStepMs?: number;
  refreshMs?: number;
  explorationShare?: number;
  /** Snapshot every this many ms while the log moves (default 60 s), and on stop. */
  snapshotIntervalMs?: number;
  log?: (line: string) => void;
  /**
   * NATS operator mode: the mesh's auth (loadMeshAuth). The node connects as the mesh's service user, issues agents
   * their user JWTs (`connect`, and with each join) and revokes them when they are suspended.
   */
  natsAuth?: MeshAuth;
  /**
   * Whether the server pins each agent's publish subjects to it, so the registry may attribute what is published on
   * `acp.*.*.<agent>` and `ops.*.<agent>` to that agent without a signature (registry/README.md, "Evidence that proves
   * itself"). Default: true with `natsAuth` (operator mode pins them), false without. Set it true only for a server
   * whose own configuration gives each agent exactly those publish permissions; every node of a mesh must agree.
   */
  pinnedPublishers?: boolean;
  /** Lifetime of the NATS user JWTs it issues (default 1 h). */
  natsUserTtlMs?: number;
  /**
   * How often the node checks again that the mesh stream keeps its history and is the one it saw before (ms; default
   * 60 s; 0: only at start and after reconnects). See @plexus/bus HistoryGuard.
   */
  historyCheckMs?: number;
  /**
   * Called (at start or later) when the node refuses the mesh stream: weakened, truncated, recreated or missing. The
   * node then stops following the log and serving requests, and /readyz answers 503 with the reason. Default: `log`.
   */
  onRefused?: (refusal: PlexusError) => void;
  /**
   * Other parts of this process whose health /readyz and /v1/status include (e.g. `sealer`: the audit sealer that
   * `plexus registry start` and `plexus up` run next to the node): each is shown under `components.<name>`, and one
   * that is not ready makes /readyz answer 503. The node's own readiness (requests served) is not affected.
   */
  components?: Record<string, () => { ready: boolean }>;
  /**
   * Not ready (/readyz 503, requests answered NOT_READY) while the state is more than this many events behind the mesh
   * log's end (default 10,000), or more than `maxLagSeconds` behind it (default 10 s). See LogFollower.lag.
   */
  maxLagEvents?: number;
  maxLagSeconds?: number;
  /**
   * How often the log follower's watchdog reads the log's end (default 1,000 ms), and how long behind it with nothing
   * read before it follows again (default 3,000 ms).
   */
  followerCheckMs?: number;
  followerStallMs?: number;
  /**
   * Stops a start that is still waiting for JetStream (a cluster without quorum: the node waits, saying so in `log`,
   * and starts once JetStream answers); the start then rejects with CLOSED.
   */
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  heartbeatIntervalMs: number;
  thresholds: LivenessThresholds;
  credentialTtlMs: number;
  challengeTtlMs: number;
  halfLifeMs: number;
  replyWindowMs: number;
  clockStepMs: number;
  refreshMs: number;
  explorationShare: number;
  snapshotIntervalMs: number;
  natsUserTtlMs: number;
  maxLagEvents: number;
  maxLagSeconds: number;
  followerCheckMs: number;
  followerStallMs: number;
}

export const DEFAULT_MAX_LAG_EVENTS = 10_000;
export const DEFAULT_MAX_LAG_SECONDS = 10;

function positive(name: string, v: number | undefined, fallback: number, allowZero = false, unit = " of ms"): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
    throw new PlexusError(
      ErrorCode.ConfigInvalid,
      `${name} must be a ${allowZero ? "non-negative" : "positive"} number${unit}, got ${v}`,
    );
  return v;
}

export function resolveOptions(o: RegistryNodeOptions): ResolvedOptions {
  assertMeshId(o.mesh);
  const heartbeatIntervalMs = positive("heartbeatIntervalMs", o.heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS);
  const d = defaultThresholds(heartbeatIntervalMs);
  const thresholds = checkThresholds({
    suspectAfterMs: positive("suspectAfterMs", o.suspectAfterMs, d.suspectAfterMs),
    offlineAfterMs: positive("offlineAfterMs", o.offlineAfterMs, d.offlineAfterMs),
    goneAfterMs: positive("goneAfterMs", o.goneAfterMs, d.goneAfterMs),
  });
  const notDid = (o.trustAnchors ?? []).find((did) => !isDid(did));
  if (notDid !== undefined)
    throw new PlexusError(ErrorCode.ConfigInvalid, `trustAnchors must be did:key DIDs, got ${JSON.stringify(notDid)}`);
  const share = o.explorationShare ?? 0.1;
  if (!(share >= 0 && share <= 0.5))
    throw new PlexusError(ErrorCode.ConfigInvalid, `explorationShare must be within 0..0.5, got ${share}`);
  return {
    heartbeatIntervalMs,
    thresholds,
    credentialTtlMs: positive("credentialTtlMs", o.credentialTtlMs, 24 * 3600_000),
    challengeTtlMs: Math.min(positive("challengeTtlMs", o.challengeTtlMs, DEFAULT_CHALLENGE_TTL_MS), 100_000),
    halfLifeMs: positive("halfLifeMs", o.halfLifeMs, DEFAULT_PROJECTION_OPTIONS.halfLifeMs),
    replyWindowMs: positive("replyWindowMs", o.replyWindowMs, DEFAULT_PROJECTION_OPTIONS.replyWindowMs),
    clockStepMs: positive("clockStepMs", o.clockStepMs, 10_000),
    refreshMs: positive("refreshMs", o.refreshMs, 1_000, true),
    explorationShare: share,
    snapshotIntervalMs: positive("snapshotIntervalMs", o.snapshotIntervalMs, 60_000),
    natsUserTtlMs: Math.max(1_000, positive("natsUserTtlMs", o.natsUserTtlMs, 3600_000)),
    maxLagEvents: positive("maxLagEvents", o.maxLagEvents, DEFAULT_MAX_LAG_EVENTS, true, ""),
    maxLagSeconds: positive("maxLagSeconds", o.maxLagSeconds, DEFAULT_MAX_LAG_SECONDS, true, " of seconds"),
    followerCheckMs: positive("followerCheckMs", o.followerCheckMs, 1_000),
    followerStallMs: positive("followerStallMs", o.followerStallMs, 3_000),
  };
}
