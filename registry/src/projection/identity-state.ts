/**
 * Who may act as whom, as the log says: suspended agents (the kill switch), agent key rotations, and the registry
 * keys whose events count. Part of the registry projection (changed only in log order) and of its snapshot.
 */
export interface Suspension {
  /** The operator DID that suspended the agent. */
  by: string;
  at: number;
  reason: string;
  /** Mesh stream sequence of the AgentSuspended event. */
  seq: number;
}

export interface IdentitySnapshot {
  suspended: [did: string, suspension: Suspension][];
  rotatedTo: [from: string, to: string][];
  registryKeys: string[];
  retiredRegistryKeys: [did: string, seq: number][];
}

export class IdentityState {
  readonly suspended = new Map<string, Suspension>();
  /** Old DID → the DID it rotated to (each link; follow with `current`). */
  readonly rotatedTo = new Map<string, string>();
  /** New DID → the DID it rotated from. */
  readonly rotatedFrom = new Map<string, string>();
  /** Registry DIDs whose events count; a retired one counts only up to the sequence of its rotation. */
  readonly registryKeys: Set<string>;
  readonly retiredRegistryKeys = new Map<string, number>();

  constructor(registryKeys: Iterable<string> = []) {
    this.registryKeys = new Set(registryKeys);
  }

  /** Adds registry DIDs trusted by configuration (a node's own key and its predecessors, --trust-registry). */
  trustRegistries(dids: Iterable<string>): void {
    for (const did of dids) this.registryKeys.add(did);
  }

  /** Whether a registry event signed by `did` at log position `seq` counts. */
  acceptsRegistry(did: string, seq: number): boolean {
    if (!this.registryKeys.has(did)) return false;
    const retired = this.retiredRegistryKeys.get(did);
    return retired === undefined || seq <= retired;
  }

  isRetiredRegistry(did: string): boolean {
    return this.retiredRegistryKeys.has(did);
  }

  /** The DID an agent is known by now, following its rotations. */
  current(did: string): string {
    let at = did;
    for (let hops = 0; hops < 1_000; hops++) {
      const next = this.rotatedTo.get(at);
      if (next === undefined) return at;
      at = next;
    }
    return at;
  }

  toJSON(): IdentitySnapshot {
    return {
      suspended: [...this.suspended],
      rotatedTo: [...this.rotatedTo],
      registryKeys: [...this.registryKeys],
      retiredRegistryKeys: [...this.retiredRegistryKeys],
    };
  }

  static fromJSON(s: IdentitySnapshot): IdentityState {
    const state = new IdentityState(s.registryKeys);
    for (const [did, suspension] of s.suspended) state.suspended.set(did, suspension);
    for (const [from, to] of s.rotatedTo) {
      state.rotatedTo.set(from, to);
      state.rotatedFrom.set(to, from);
    }
    for (const [did, seq] of s.retiredRegistryKeys) state.retiredRegistryKeys.set(did, seq);
    return state;
  }
}
