import { describe, expect, it } from "vitest";
import { generateKeyPair } from "@plexus/identity";
import { DEFAULT_PROJECTION_OPTIONS, RegistryState } from "../src/projection/index.js";
import { trustAnchorSet } from "../src/service/trust-anchor-set.js";
import { card } from "./fixtures.js";

/** Who EigenTrust pre-trusts, read from the projection alone (so every node at the same position agrees). */
const T = 1_000_000;

function state(): RegistryState {
  return new RegistryState({ ...DEFAULT_PROJECTION_OPTIONS });
}

function member(s: RegistryState, did: string, present = true): void {
  s.agents.set(did, {
    did,
    card: card("a"),
    joinedAt: T,
    firstJoinedAt: T,
    firstJoinSeq: 1,
    updatedAt: T,
    leftAt: present ? undefined : T,
    present,
    liveness: "alive",
    livenessSince: T,
    joinSeq: 1,
    credential: { id: "urn:uuid:m", issuedAt: T, expiresAt: T + 1e9 },
  });
}

const [registry, op, a, b, c, issuer] = Array.from({ length: 6 }, () => generateKeyPair().did);

describe("trustAnchorSet", () => {
  it("is empty by default: no member is trusted until an anchor exists", () => {
    const s = state();
    s.identity.trustRegistries([registry as string]);
    for (const d of [a, b, c]) member(s, d as string);
    expect(trustAnchorSet(s, T)).toEqual(new Set());
  });

  it("holds the registry's own key when it is a member, and the agent anchors of the log that are present and not suspended", () => {
    const s = state();
    s.identity.trustRegistries([registry as string]);
    for (const d of [registry, a, b, c]) member(s, d as string);
    member(s, op as string, false);
    s.trust.add({ did: a as string, role: "agent", by: registry as string, at: T, seq: 2 });
    s.trust.add({ did: b as string, role: "agent", by: registry as string, at: T, seq: 3 });
    s.trust.add({ did: op as string, role: "agent", by: registry as string, at: T, seq: 4 });
    s.identity.suspended.set(b as string, { by: registry as string, at: T, reason: "x", seq: 5 });
    expect(trustAnchorSet(s, T)).toEqual(new Set([registry, a]));
  });

  it("by policy holds the members with a live capability credential from an issuer anchor: not an expired or revoked one", () => {
    const s = state();
    for (const d of [a, b, c]) member(s, d as string);
    s.trust.add({ did: issuer as string, role: "issuer", by: registry as string, at: T, seq: 2 });
    const attest = (subject: string, id: string, expiresAt: number, by = issuer as string) =>
      s.credentials.attest({ id, issuer: by, subject, capabilities: ["x"], issuedAt: T, expiresAt, seq: 3 });
    attest(a as string, "urn:uuid:1", T + 60_000);
    attest(b as string, "urn:uuid:2", T + 60_000);
    attest(c as string, "urn:uuid:3", T + 60_000, generateKeyPair().did);
    s.credentials.revoke({
      credentialId: "urn:uuid:2",
      issuer: issuer as string,
      revokedBy: issuer as string,
      reason: "x",
      at: T,
      seq: 4,
    });
    expect(trustAnchorSet(s, T)).toEqual(new Set([a]));
    expect(trustAnchorSet(s, T + 60_000)).toEqual(new Set());
    // An issuer that is suspended, or whose key rotated away, anchors nobody any more.
    s.identity.suspended.set(issuer as string, { by: registry as string, at: T, reason: "x", seq: 6 });
    expect(trustAnchorSet(s, T)).toEqual(new Set());
    s.identity.suspended.delete(issuer as string);
    s.identity.rotatedTo.set(issuer as string, generateKeyPair().did);
    expect(trustAnchorSet(s, T)).toEqual(new Set());
  });
});
