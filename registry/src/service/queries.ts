import type {
  AgentView,
  Answer,
  CredentialStatusView,
  DiscoverQuery,
  DiscoverResult,
  Reputation,
  TrustAnchorView,
} from "@plexus/anp";
import type { CredentialStatusQuery } from "@plexus/anp/internal";
import { ErrorCode, PlexusError } from "@plexus/core";
import { rankDiscovery, type RankOptions } from "../discovery/index.js";
import type { LivenessMonitor } from "../liveness/monitor.js";
import type { RegistryState } from "../projection/index.js";
import { computeReputation, type ModelOptions, type ReputationTable } from "../reputation/index.js";
import type { AgentRecord } from "../types.js";
import { credentialStatusView } from "./credential-status.js";
import { capabilityClaims, credentialStatus, listable } from "./credential-views.js";
import type { AgentsQuery } from "./discover-query.js";
import type { RegistryQueryApi, RegistryStatus } from "./queries-api.js";
import { trustAnchorSet } from "./trust-anchor-set.js";
import { trustAnchorViews } from "./trust-anchor-views.js";

export interface QueryOptions {
  /** Query time is rounded down to this step, so nodes asked within the same step answer alike (default 10 s). */
  clockStepMs: number;
  /**
   * While the log moves, the reputation table is recomputed at most this often (default 1 s): scores may then lag
   * the log by up to this long (cards and liveness never do). 0 recomputes whenever the log moved.
   */
  refreshMs: number;
  model: ModelOptions;
  rank: RankOptions;
}

export interface QueryDeps {
  state: () => RegistryState;
  monitor: () => LivenessMonitor | undefined;
  status: () => RegistryStatus;
  now?: () => number;
}

interface CachedTable {
  seq: number;
  at: number;
  computedAt: number;
  table: ReputationTable;
}

/**
 * The read side of one registry node. Answers carry `asOf` = (log position, query time rounded to the clock step):
 * two nodes with the same asOf give identical answers. Reputation is computed for the whole mesh at once (EigenTrust
 * is global) and cached per asOf, recomputed at most every `refreshMs` while the log moves.
 */
export class RegistryQueries implements RegistryQueryApi {
  readonly #deps: QueryDeps;
  readonly #o: QueryOptions;
  #cached: CachedTable | undefined;

  constructor(deps: QueryDeps, options: QueryOptions) {
    this.#deps = deps;
    this.#o = options;
  }

  #at(): number {
    const now = this.#deps.now?.() ?? Date.now();
    return Math.floor(now / this.#o.clockStepMs) * this.#o.clockStepMs;
  }

  /** The reputation table for `at` (exposed for benchmarks and tests). */
  table(at = this.#at()): { table: ReputationTable; seq: number } {
    const state = this.#deps.state();
    const c = this.#cached;
    const wall = Date.now();
    if (c && c.at === at && (c.seq === state.seq || wall - c.computedAt < this.#o.refreshMs)) return c;
    const agents = [...state.agents.keys()];
    const table = computeReputation(state.ledger, agents, trustAnchorSet(state, at), at, this.#o.model);
    // Fill the index's per-agent score cache now rather than in the first query that meets the new table.
    state.cards.useReputation(table);
    this.#cached = { seq: state.seq, at, computedAt: wall, table };
    return this.#cached;
  }

  agents(options: AgentsQuery = {}): Answer<AgentView[]> {
    const state = this.#deps.state();
    const at = this.#at();
    const result: AgentView[] = [];
    const offset = options.offset ?? 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let skipped = 0;
    for (const r of state.agents.values()) {
      if (result.length >= limit) break;
      // Without `all`: present agents that beat. With it: every agent that ever joined, those that left included.
      if (
        !options.all &&
        (!r.present || r.liveness === "offline" || r.liveness === "gone" || state.identity.suspended.has(r.did))
      )
        continue;
      if (skipped++ < offset) continue;
      result.push(this.#view(r, at));
    }
    return { result, asOf: { seq: state.seq, at } };
  }

  agent(did: string): Answer<AgentView> {
    const state = this.#deps.state();
    const r = state.agents.get(did);
    if (!r) throw notFound(state, did);
    const at = this.#at();
    return { result: this.#view(r, at), asOf: { seq: state.seq, at } };
  }

  discover(query: DiscoverQuery): Answer<DiscoverResult[]> {
    const state = this.#deps.state();
    const at = this.#at();
    const { table } = this.table(at);
    const monitor = this.#deps.monitor();
    // The index itself is the fast path: it streams candidates with their cached scores.
    const result = rankDiscovery(
      query,
      state.cards,
      (did) => {
        const r = state.agents.get(did);
        if (!r?.present || !listable(state, r, query, at)) return undefined;
        // Heartbeat and credentials are read only for the agents that end up listed.
        return {
          card: r.card,
          liveness: r.liveness,
          get lastHeartbeat() {
            return monitor?.lastHeartbeat(did) ?? null;
          },
          get credential() {
            return credentialStatus(state, r, at);
          },
          get claims() {
            return capabilityClaims(state, r, at);
          },
        };
      },
      table,
      this.#o.rank,
    );
    return { result, asOf: { seq: state.seq, at } };
  }

  reputation(did: string): Answer<Reputation> {
    const state = this.#deps.state();
    if (!state.agents.has(did)) throw notFound(state, did);
    const at = this.#at();
    const { table } = this.table(at);
    return { result: table.get(did), asOf: { seq: state.seq, at } };
  }

  trustAnchors(): Answer<TrustAnchorView[]> {
    const state = this.#deps.state();
    return { result: trustAnchorViews(state), asOf: { seq: state.seq, at: this.#at() } };
  }

  credentialStatus(query: CredentialStatusQuery): Answer<CredentialStatusView> {
    const state = this.#deps.state();
    return { result: credentialStatusView(state, query), asOf: { seq: state.seq, at: this.#at() } };
  }

  status(): RegistryStatus {
    return this.#deps.status();
  }

  #view(r: AgentRecord, at: number): AgentView {
    return {
      did: r.did,
      name: r.card.name,
      description: r.card.description,
      version: r.card.version,
      capabilities: r.card.capabilities.map((c) => c.name),
      tags: r.card.tags ?? [],
      card: r.card,
      present: r.present,
      // An agent that left is gone, since it left (its heartbeats' last state no longer says anything).
      liveness: r.present ? r.liveness : "gone",
      livenessSince: r.present ? r.livenessSince : (r.leftAt ?? r.livenessSince),
      ...(!r.present && r.leftAt !== undefined ? { leftAt: r.leftAt } : {}),
      // The monitor's own memory, for agents it follows (a node that replayed the log never saw a left agent beat).
      lastHeartbeat: r.present ? (this.#deps.monitor()?.lastHeartbeat(r.did) ?? null) : null,
      joinedAt: r.joinedAt,
      credential: credentialStatus(this.#deps.state(), r, at),
      claims: capabilityClaims(this.#deps.state(), r, at),
      ...this.#identityOf(r.did),
    };
  }

  #identityOf(did: string): Pick<AgentView, "suspended" | "previousDids"> {
    const identity = this.#deps.state().identity;
    const s = identity.suspended.get(did);
    const previous: string[] = [];
    for (
      let d = identity.rotatedFrom.get(did);
      d !== undefined && previous.length < 100;
      d = identity.rotatedFrom.get(d)
    )
      previous.unshift(d);
    return {
      ...(s ? { suspended: { by: s.by, at: s.at, reason: s.reason } } : {}),
      ...(previous.length > 0 ? { previousDids: previous } : {}),
    };
  }
}

/** AGENT_NOT_FOUND, saying where a rotated key's agent went. */
function notFound(state: RegistryState, did: string): PlexusError {
  const to = state.identity.rotatedTo.has(did) ? state.identity.current(did) : undefined;
  if (to !== undefined)
    return new PlexusError(ErrorCode.AgentNotFound, `${did} rotated its key: the agent is now ${to}`, {
      details: { rotatedTo: to },
    });
  return new PlexusError(ErrorCode.AgentNotFound, `no agent ${did} ever joined this mesh`);
}
