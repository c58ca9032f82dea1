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

/** An agent key rotation as the log recorded it (KeyRotated). */
export interface KeyRotation {
  /** The DID the key moved to. */
  to: string;
  /** Mesh stream sequence of the KeyRotated event: what the old key signs after it counts nowhere. */
  seq: number;
  /** The event's time (ms). */
  at: number;
  /** The agent said the old key leaked: what it issued before was revoked with the rotation. */
  compromised: boolean;
}

/**
 * How many times one identity may rotate its key. Bounds every walk along its chain of DIDs (`current`, `lineage`),
 * so the walks always reach the end: a 257th rotation is refused; the agent joins as a new identity instead.
 */
export const MAX_KEY_ROTATIONS = 256;

export interface IdentitySnapshot {
  suspended: [did: string, suspension: Suspension][];
  rotations: [from: string, rotation: KeyRotation][];
  registryKeys: string[];
  retiredRegistryKeys: [did: string, seq: number][];
}

export class IdentityState {
  readonly suspended = new Map<string, Suspension>();
  /** Old DID → the DID it rotated to (each link; follow with `current`). */
  readonly rotatedTo = new Map<string, string>();
  /** Old DID → where, when and why it rotated away. */
  readonly rotations = new Map<string, KeyRotation>();
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

  /** Records an agent's key rotation (in log order). */
  rotate(from: string, rotation: KeyRotation): void {
    this.rotations.set(from, rotation);
    this.rotatedTo.set(from, rotation.to);
    this.rotatedFrom.set(rotation.to, from);
  }

  /**
   * Whether something `did` signed, first seen at log position `seq`, comes from a key rotated away before it: then
   * it counts nowhere (`rotated_key`). What the key signed before its rotation keeps counting (unless compromised).
   */
  rotatedBefore(did: string, seq: number): KeyRotation | undefined {
    const rotation = this.rotations.get(did);
    return rotation !== undefined && rotation.seq < seq ? rotation : undefined;
  }

  isRetiredRegistry(did: string): boolean {
    return this.retiredRegistryKeys.has(did);
  }

  /** The DID an agent is known by now, following its rotations. */
  current(did: string): string {
    let at = did;
    for (let hops = 0; hops <= MAX_KEY_ROTATIONS; hops++) {
      const next = this.rotatedTo.get(at);
      if (next === undefined) return at;
      at = next;
    }
    return at;
  }

  /** `did` and the DIDs it rotated from, newest first. */
  lineage(did: string): string[] {
    const chain = [did];
    for (
      let d = this.rotatedFrom.get(did);
      d !== undefined && chain.length <= MAX_KEY_ROTATIONS;
      d = this.rotatedFrom.get(d)
    )
      chain.push(d);
    return chain;
  }

  toJSON(): IdentitySnapshot {
    return {
      suspended: [...this.suspended],
      rotations: [...this.rotations],
      registryKeys: [...this.registryKeys],
      retiredRegistryKeys: [...this.retiredRegistryKeys],
    };
  }

  static fromJSON(s: IdentitySnapshot): IdentityState {
    const state = new IdentityState(s.registryKeys);
    for (const [did, suspension] of s.suspended) state.suspended.set(did, suspension);
    for (const [from, rotation] of s.rotations) state.rotate(from, rotation);
    for (const [did, seq] of s.retiredRegistryKeys) state.retiredRegistryKeys.set(did, seq);
    return state;
  }
}
