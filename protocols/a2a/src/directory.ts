/**
 * Which mesh agents the gateway serves: those present in the registry (joined, not left) whose card opts in with
 * `a2a.expose: true`, whatever their liveness (an offline agent's tasks wait in its durable inbox). Answers are
 * cached briefly so a burst of calls costs one registry request.
 */
import type { AgentView } from "@plexus/anp";
import { agentToken, didOfToken, ErrorCode, isPlexusError } from "@plexus/core";

export type Lookup =
  | { ok: true; view: AgentView }
  | { ok: false; reason: "agent_not_found" | "agent_not_exposed"; message: string };

/** What the directory needs of the registry (the SDK's RegistryClient). */
export interface RegistryLookups {
  agent(did: string): Promise<{ result: AgentView }>;
  agents(options?: { all?: boolean }): Promise<{ result: AgentView[] }>;
}

export function isExposed(view: AgentView): boolean {
  return view.present && view.card.a2a?.expose === true;
}

export class AgentDirectory {
  readonly #registry: RegistryLookups;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { at: number; lookup: Promise<Lookup> }>();

  constructor(registry: RegistryLookups, options: { cacheMs: number }) {
    this.#registry = registry;
    this.#cacheMs = options.cacheMs;
  }

  /** The agent behind a URL's agent token. */
  lookup(token: string): Promise<Lookup> {
    const now = Date.now();
    const hit = this.#cache.get(token);
    if (hit && now - hit.at < this.#cacheMs) return hit.lookup;
    const lookup = this.#ask(token);
    this.#cache.set(token, { at: now, lookup });
    lookup.catch(() => this.#cache.delete(token));
    if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value!);
    return lookup;
  }

  /** Every agent served now. */
  async exposed(): Promise<AgentView[]> {
    const { result } = await this.#registry.agents();
    return result.filter(isExposed);
  }

  async #ask(token: string): Promise<Lookup> {
    const did = didOfToken(token);
    const unknown: Lookup = { ok: false, reason: "agent_not_found", message: `no agent ${did} on this mesh` };
    try {
      agentToken(did);
    } catch {
      return unknown;
    }
    try {
      const { result: view } = await this.#registry.agent(did);
      if (!view.present) return { ok: false, reason: "agent_not_exposed", message: `agent ${did} left the mesh` };
      if (!isExposed(view))
        return {
          ok: false,
          reason: "agent_not_exposed",
          message: `agent ${did} does not opt in to A2A (its card has no "a2a": {"expose": true})`,
        };
      return { ok: true, view };
    } catch (err) {
      if (isPlexusError(err, ErrorCode.AgentNotFound)) return unknown;
      throw err;
    }
  }
}
