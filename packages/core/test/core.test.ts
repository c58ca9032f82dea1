import { describe, expect, it } from "vitest";
import {
  agentToken,
  canonicalJson,
  meshSubjects,
  newId,
  PlexusError,
  validateEnvelope,
  validateReceiptBody,
  validateRegistryEvent,
  validateRegistryRequest,
} from "../src/index.js";
import { idTime, isId } from "../src/ids.js";

const DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
const DID2 = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG";

describe("ids", () => {
  it("are ULIDs, unique and increasing within one millisecond", () => {
    const ids = Array.from({ length: 1000 }, () => newId(4_000_000_000_000));
    expect(ids.every(isId)).toBe(true);
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    expect(idTime(ids[0]!)).toBe(4_000_000_000_000);
  });
  it("sort by time across milliseconds", () => {
    const a = newId(4_100_000_000_000);
    const b = newId(4_100_000_000_001);
    expect(a < b).toBe(true);
  });
});

describe("canonical JSON (RFC 8785)", () => {
  it("sorts keys and normalises numbers", () => {
    expect(canonicalJson({ b: 1, a: [true, null, 1e21, 0.5], c: "é" })).toBe(
      '{"a":[true,null,1e+21,0.5],"b":1,"c":"é"}',
    );
  });
  it("refuses values without a JSON form", () => {
    expect(() => canonicalJson(undefined)).toThrow(PlexusError);
  });
});

describe("subjects", () => {
  const s = meshSubjects("demo");
  it("put the publisher last and the target before it", () => {
    const to = agentToken(DID);
    const from = agentToken(DID2);
    expect(s.message("inbox", to, from)).toBe(`plexus.demo.acp.inbox.${to}.${from}`);
    expect(s.filter("inbox", to)).toBe(`plexus.demo.acp.inbox.${to}.*`);
    expect(s.parse(s.message("topic", "news", from))).toEqual({ kind: "topic", target: "news", from });
    expect(s.parse("plexus.other.acp.inbox.a.b")).toBeUndefined();
    expect(s.stream).toBe("PLEXUS_DEMO");
  });
  it("name the wildcards NATS permissions and stream sources use", () => {
    const me = agentToken(DID);
    expect(s.sentBy(me)).toBe(`plexus.demo.acp.*.*.${me}`);
    expect(s.opsBy(me)).toBe(`plexus.demo.ops.*.${me}`);
    expect(s.kindAll("topic")).toBe("plexus.demo.acp.topic.>");
    expect(s.auditAll).toBe("plexus-audit.demo.>");
  });
  it("refuse bad mesh ids and non-did:key DIDs with a stable code", () => {
    expect(() => meshSubjects("Bad.Mesh")).toThrow(/invalid mesh id/);
    try {
      agentToken("did:web:example.com");
      expect.unreachable();
    } catch (err) {
      expect((err as PlexusError).code).toBe("INVALID_DID");
    }
  });
});

describe("envelope schema", () => {
  const base = {
    v: 1,
    id: newId(),
    from: DID,
    to: DID2,
    type: "acp.message",
    body: { x: 1 },
    ts: Date.now(),
    seq: 1,
    sig: "A".repeat(86),
  };
  it("accepts a well-formed envelope", () => {
    expect(validateEnvelope(base)).toBe(true);
  });
  it("rejects both or neither of to/topic, unknown fields and bad values", () => {
    expect(validateEnvelope({ ...base, topic: "news" })).toBe(false);
    const { to: _to, ...noTarget } = base;
    expect(validateEnvelope(noTarget)).toBe(false);
    expect(validateEnvelope({ ...base, extra: 1 })).toBe(false);
    expect(validateEnvelope.explain()).toMatch(/extra/);
    expect(validateEnvelope({ ...base, seq: 0 })).toBe(false);
    expect(validateEnvelope({ ...base, from: "alice" })).toBe(false);
  });
  it("validates receipt bodies", () => {
    expect(validateReceiptBody({ delivered: [], processed: [[1, 5]], failed: [] })).toBe(true);
    expect(validateReceiptBody({ delivered: [], processed: [[1]], failed: [] })).toBe(false);
  });
});

describe("registry schemas: trust anchors", () => {
  const event = (type: string, data: Record<string, unknown>) => ({
    v: 1,
    id: newId(),
    type,
    agent: DID,
    at: Date.now(),
    by: DID2,
    data,
    sig: "A".repeat(86),
  });
  it("accepts TrustAnchorAdded / TrustAnchorRemoved with a role, who asked, and optionally a reason and the request", () => {
    expect(validateRegistryEvent(event("TrustAnchorAdded", { role: "agent", by: DID2 }))).toBe(true);
    expect(
      validateRegistryEvent(
        event("TrustAnchorAdded", { role: "issuer", by: DID2, reason: "our CA", request: { op: "trust" } }),
      ),
    ).toBe(true);
    expect(validateRegistryEvent(event("TrustAnchorRemoved", { role: "agent", by: DID2, reason: "" }))).toBe(true);
  });
  it("refuses an unknown role, a missing or non-DID `by`, a reason over 500 characters and unknown fields", () => {
    expect(validateRegistryEvent(event("TrustAnchorAdded", { role: "root", by: DID2 }))).toBe(false);
    expect(validateRegistryEvent(event("TrustAnchorAdded", { role: "agent" }))).toBe(false);
    expect(validateRegistryEvent(event("TrustAnchorRemoved", { role: "agent", by: "alice" }))).toBe(false);
    expect(validateRegistryEvent(event("TrustAnchorAdded", { role: "agent", by: DID2, reason: "x".repeat(501) }))).toBe(
      false,
    );
    expect(validateRegistryEvent(event("TrustAnchorAdded", { role: "agent", by: DID2, weight: 2 }))).toBe(false);
    expect(validateRegistryEvent.explain()).toMatch(/weight/);
    // Other event types keep their free-form data.
    expect(validateRegistryEvent(event("AgentLeft", { reason: "leave" }))).toBe(true);
  });
  it("knows the trust request op", () => {
    const request = {
      op: "trust",
      mesh: "m",
      did: DID,
      publicKey: "z6Mk",
      challenge: "c",
      body: { action: "add", did: DID2 },
      sig: "s",
    };
    expect(validateRegistryRequest(request)).toBe(true);
    expect(validateRegistryRequest({ ...request, op: "anchor" })).toBe(false);
  });
});
