/**
 * The mesh's trust anchors (EigenTrust's pre-trusted peers) as the log says: TrustAnchorAdded / TrustAnchorRemoved,
 * in log order. They used to be a per-node option, so two nodes given different flags computed different reputations;
 * as log events every node at the same position holds the same set. Role "agent" pre-trusts the DID itself, role
 * "issuer" the agents holding a live capability credential issued by the DID (the reputation code reads `issuers()`).
 * Changed only in log order; part of the projection and of its snapshot.
 */
import type { TrustAnchorRole, TrustAnchorView } from "@plexus/anp";

/** An anchor as the log records it: the wire view without `member` (which depends on the agents, not on the book). */
export type TrustAnchorEntry = Omit<TrustAnchorView, "member">;

export interface TrustAnchorsSnapshot {
  anchors: TrustAnchorEntry[];
  /** The log position of each anchor's latest removal (see `lastRemoval`). */
  removed: { did: string; role: TrustAnchorRole; seq: number }[];
}

function keyOf(did: string, role: TrustAnchorRole): string {
  return `${role} ${did}`;
}

export class TrustAnchorBook {
  /** role+DID → entry; Map order is log order (a renamed anchor keeps its place). */
  #entries = new Map<string, TrustAnchorEntry>();
  /** role+DID → mesh stream sequence of its latest TrustAnchorRemoved. */
  readonly #removed = new Map<string, { did: string; role: TrustAnchorRole; seq: number }>();

  /** Records an anchor; false (nothing changes) when (did, role) is an anchor already. */
  add(entry: TrustAnchorEntry): boolean {
    const key = keyOf(entry.did, entry.role);
    if (this.#entries.has(key)) return false;
    const { did, role, by, at, seq, reason } = entry;
    this.#entries.set(key, { did, role, by, at, seq, ...(reason ? { reason } : {}) });
    return true;
  }

  /** Removes an anchor (`seq`: the TrustAnchorRemoved event's position); false when (did, role) is not one. */
  remove(did: string, role: TrustAnchorRole, seq = 0): boolean {
    const key = keyOf(did, role);
    if (!this.#entries.delete(key)) return false;
    this.#removed.delete(key);
    this.#removed.set(key, { did, role, seq });
    return true;
  }

  /**
   * Where (did, role) was last removed, 0 if never: nodes that agree on it name a re-add alike (a message id for
   * JetStream's deduplication), and a re-add after a removal gets a name of its own.
   */
  lastRemoval(did: string, role: TrustAnchorRole): number {
    return this.#removed.get(keyOf(did, role))?.seq ?? 0;
  }

  has(did: string, role: TrustAnchorRole): boolean {
    return this.#entries.has(keyOf(did, role));
  }

  get(did: string, role: TrustAnchorRole): TrustAnchorEntry | undefined {
    return this.#entries.get(keyOf(did, role));
  }

  get size(): number {
    return this.#entries.size;
  }

  entries(): Iterable<TrustAnchorEntry> {
    return this.#entries.values();
  }

  *agents(): Iterable<string> {
    for (const e of this.#entries.values()) if (e.role === "agent") yield e.did;
  }

  *issuers(): Iterable<string> {
    for (const e of this.#entries.values()) if (e.role === "issuer") yield e.did;
  }

  /**
   * An agent's key rotation: an agent anchor stays one under the new DID, in the same place. An issuer anchor is
   * left as it is: credentials name the key that signed them, and those stay signed by the old key.
   */
  rename(from: string, to: string): void {
    if (!this.has(from, "agent") || this.has(to, "agent")) return;
    const renamed = new Map<string, TrustAnchorEntry>();
    for (const [key, e] of this.#entries) {
      if (key === keyOf(from, "agent")) renamed.set(keyOf(to, "agent"), { ...e, did: to });
      else renamed.set(key, e);
    }
    this.#entries = renamed;
  }

  toJSON(): TrustAnchorsSnapshot {
    return { anchors: [...this.#entries.values()], removed: [...this.#removed.values()] };
  }

  static fromJSON(s: TrustAnchorsSnapshot): TrustAnchorBook {
    const book = new TrustAnchorBook();
    for (const e of s.anchors) book.add(e);
    for (const r of s.removed) book.#removed.set(keyOf(r.did, r.role), r);
    return book;
  }
}
