/**
 * Credentials as the log says: capability attestations per agent (CredentialAttested), the revoked set
 * (CredentialRevoked), and which membership credential each agent holds (from AgentJoined). Changed only in log
 * order; part of the projection and of its snapshot. Whether a credential counts is decided at query time: a
 * revoked one never again, an expired one from its expiry on (no event needed).
 */
import type { CapabilityAttestation, CapabilityClaim } from "@plexus/anp";

export interface Attestation {
  id: string;
  issuer: string;
  subject: string;
  capabilities: string[];
  issuedAt: number;
  expiresAt: number;
  /** Mesh stream sequence of the CredentialAttested event. */
  seq: number;
}

export interface Revocation {
  credentialId: string;
  issuer: string;
  revokedBy: string;
  reason: string;
  at: number;
  seq: number;
}

export interface MembershipRef {
  id: string;
  issuer: string;
}

export interface CredentialsSnapshot {
  attestations: Attestation[];
  revoked: Revocation[];
  memberships: [did: string, ref: MembershipRef][];
}

/** A credential is named by its issuer and id together: ids are chosen by issuers, so two issuers may pick the same. */
export function credentialKey(issuer: string, id: string): string {
  return `${issuer} ${id}`;
}

export class CredentialBook {
  /** subject DID → (issuer+id → attestation), in log order. */
  readonly #bySubject = new Map<string, Map<string, Attestation>>();
  /** credential id → the subjects holding an attestation with that id (any issuer). */
  readonly #subjectsById = new Map<string, Set<string>>();
  readonly #revoked = new Map<string, Revocation>();
  readonly #memberships = new Map<string, MembershipRef>();

  /** Records an attestation; false (ignored) when that credential was revoked before. */
  attest(a: Attestation): boolean {
    if (this.#revoked.has(credentialKey(a.issuer, a.id))) return false;
    let held = this.#bySubject.get(a.subject);
    if (!held) this.#bySubject.set(a.subject, (held = new Map()));
    held.set(credentialKey(a.issuer, a.id), a);
    let subjects = this.#subjectsById.get(a.id);
    if (!subjects) this.#subjectsById.set(a.id, (subjects = new Set()));
    subjects.add(a.subject);
    return true;
  }

  revoke(r: Revocation): void {
    const key = credentialKey(r.issuer, r.credentialId);
    if (!this.#revoked.has(key)) this.#revoked.set(key, r);
  }

  /**
   * Revokes every recorded credential `issuer` issued (a compromised key's), each with `why`; returns how many were
   * not revoked already.
   */
  revokeIssuedBy(issuer: string, why: Omit<Revocation, "credentialId" | "issuer">): number {
    const ids = this.unrevokedIssuedBy(issuer);
    for (const credentialId of ids) this.revoke({ ...why, credentialId, issuer });
    return ids.length;
  }

  /** The ids of the recorded credentials `issuer` issued that are not revoked (expired ones included). */
  unrevokedIssuedBy(issuer: string): string[] {
    const ids = new Set<string>();
    for (const held of this.#bySubject.values()) {
      for (const a of held.values()) if (a.issuer === issuer && !this.isRevoked(issuer, a.id)) ids.add(a.id);
    }
    return [...ids];
  }

  isRevoked(issuer: string, id: string): boolean {
    return this.#revoked.has(credentialKey(issuer, id));
  }

  revocation(issuer: string, id: string): Revocation | undefined {
    return this.#revoked.get(credentialKey(issuer, id));
  }

  /** The membership credential an agent's latest join gave it. */
  setMembership(did: string, ref: MembershipRef): void {
    this.#memberships.set(did, ref);
  }

  membership(did: string): MembershipRef | undefined {
    return this.#memberships.get(did);
  }

  /** True when the agent's current membership credential was revoked (it must join again to get a new one). */
  membershipRevoked(did: string): boolean {
    const m = this.#memberships.get(did);
    return m !== undefined && this.isRevoked(m.issuer, m.id);
  }

  /** Every recorded attestation with this credential id (normally one), and the membership credentials that have it. */
  find(credentialId: string): { attestations: Attestation[]; memberships: { did: string; ref: MembershipRef }[] } {
    const attestations: Attestation[] = [];
    for (const subject of this.#subjectsById.get(credentialId) ?? []) {
      for (const a of this.#bySubject.get(subject)?.values() ?? []) if (a.id === credentialId) attestations.push(a);
    }
    const memberships: { did: string; ref: MembershipRef }[] = [];
    for (const [did, ref] of this.#memberships) if (ref.id === credentialId) memberships.push({ did, ref });
    return { attestations, memberships };
  }

  /** The subject's attestations that count at `at`: not revoked, not expired, in log order. */
  live(subject: string, at: number): Attestation[] {
    const out: Attestation[] = [];
    for (const a of this.#bySubject.get(subject)?.values() ?? []) {
      if (a.expiresAt > at && !this.#revoked.has(credentialKey(a.issuer, a.id))) out.push(a);
    }
    return out;
  }

  /** Every attestation ever recorded about the subject (live or not). */
  all(subject: string): Attestation[] {
    return [...(this.#bySubject.get(subject)?.values() ?? [])];
  }

  /** The card's capabilities, each with the live attestations of it (optionally only by `issuer`). */
  claims(subject: string, declared: readonly string[], at: number, issuer?: string): CapabilityClaim[] {
    const live = this.#bySubject.has(subject) ? this.live(subject, at) : [];
    return declared.map((name) => {
      const attestedBy: CapabilityAttestation[] = [];
      for (const a of live) {
        if ((issuer === undefined || a.issuer === issuer) && a.capabilities.includes(name)) {
          attestedBy.push({ issuer: a.issuer, credentialId: a.id, issuedAt: a.issuedAt, expiresAt: a.expiresAt });
        }
      }
      return { name, attested: attestedBy.length > 0, attestedBy };
    });
  }

  /** True when a live attestation (by `issuer`, if given) covers `capability`, or any of `declared` without one. */
  attests(subject: string, declared: readonly string[], at: number, capability?: string, issuer?: string): boolean {
    if (!this.#bySubject.has(subject)) return false;
    const wanted = capability === undefined ? declared : declared.includes(capability) ? [capability] : [];
    return this.live(subject, at).some(
      (a) => (issuer === undefined || a.issuer === issuer) && wanted.some((c) => a.capabilities.includes(c)),
    );
  }

  /**
   * Key rotation: the attestations about `fromDid` (and its membership reference) now belong to `toDid`. Their
   * credential ids, issuers and expiry stay as signed; revocations keep applying to them.
   */
  moveSubject(fromDid: string, toDid: string): void {
    if (fromDid === toDid) return;
    const held = this.#bySubject.get(fromDid);
    if (held) {
      this.#bySubject.delete(fromDid);
      const target = this.#bySubject.get(toDid) ?? new Map<string, Attestation>();
      for (const [key, a] of held) {
        target.set(key, { ...a, subject: toDid });
        const subjects = this.#subjectsById.get(a.id);
        subjects?.delete(fromDid);
        subjects?.add(toDid);
      }
      this.#bySubject.set(toDid, target);
    }
    const membership = this.#memberships.get(fromDid);
    if (membership) {
      this.#memberships.delete(fromDid);
      this.#memberships.set(toDid, membership);
    }
  }

  get size(): { attestations: number; revoked: number } {
    let attestations = 0;
    for (const held of this.#bySubject.values()) attestations += held.size;
    return { attestations, revoked: this.#revoked.size };
  }

  toJSON(): CredentialsSnapshot {
    const attestations: Attestation[] = [];
    for (const held of this.#bySubject.values()) attestations.push(...held.values());
    return { attestations, revoked: [...this.#revoked.values()], memberships: [...this.#memberships] };
  }

  static fromJSON(snapshot: CredentialsSnapshot): CredentialBook {
    const book = new CredentialBook();
    // Attestations first: one revoked after it was recorded stays recorded (and does not count).
    for (const a of snapshot.attestations) book.attest(a);
    for (const r of snapshot.revoked) book.revoke(r);
    for (const [did, ref] of snapshot.memberships) book.setMembership(did, ref);
    return book;
  }
}
