/**
 * The registry's HTTP API over a real socket, against a small in-memory RegistryQueryApi: every route, the body
 * shapes, query-parameter validation, error codes and statuses, and the listening lifecycle.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, errorSpec, httpStatusFor, PlexusError } from "@plexus/core";
import { INTERNAL_MESSAGE } from "@plexus/core/internal";
import {
  FACTORS,
  type AgentView,
  type Answer,
  type CredentialStatusView,
  type DiscoverQuery,
  type DiscoverResult,
  type Factor,
  type FactorScore,
  type Reputation,
  type TrustAnchorView,
} from "@plexus/anp";
import type { CredentialStatusQuery } from "@plexus/anp/internal";
import { serveRegistryHttp, type RegistryHttpServer } from "../src/http/index.js";
import { evidenceSummary, type RegistryQueryApi, type RegistryStatus } from "../src/service/queries-api.js";

const ALICE = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const BOB = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG";
const CAROL = "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf";
const AS_OF = { seq: 42, at: 1_700_000_000_000 };

function factors(value: number): Record<Factor, FactorScore> {
  return Object.fromEntries(FACTORS.map((f) => [f, { value, evidence: 3, weight: 2.5 }])) as Record<
    Factor,
    FactorScore
  >;
}

function view(did: string, name: string, capabilities: string[], present = true): AgentView {
  return {
    did,
    name,
    description: `${name} does ${capabilities.join(", ")}`,
    version: "1.0.0",
    capabilities,
    tags: ["test"],
    card: {
      name,
      description: `${name} does ${capabilities.join(", ")}`,
      version: "1.0.0",
      capabilities: capabilities.map((c) => ({ name: c })),
      tags: ["test"],
    },
    present,
    liveness: present ? "alive" : "gone",
    livenessSince: AS_OF.at,
    lastHeartbeat: present ? AS_OF.at : null,
    joinedAt: AS_OF.at - 1000,
    credential: { status: "valid", id: `cred-${name}`, expiresAt: AS_OF.at + 3_600_000 },
    claims: capabilities.map((c) => ({ name: c, attested: false, attestedBy: [] })),
  };
}

/** Our own interface, answered from fixed data; `failWith` makes every answer throw (for the error paths). */
class MemoryRegistry implements RegistryQueryApi {
  ready = true;
  failWith: unknown = undefined;
  lastDiscover: DiscoverQuery | undefined;
  readonly views = [
    view(ALICE, "alice", ["translate"]),
    view(BOB, "bob", ["translate", "summarise"]),
    view(CAROL, "carol", ["summarise"], false),
  ];
  readonly scores: Record<string, number> = { [ALICE]: 0.8, [BOB]: 0.6, [CAROL]: 0.5 };

  #answer<T>(result: T): Answer<T> {
    if (this.failWith !== undefined) throw this.failWith;
    return { result, asOf: AS_OF };
  }

  #find(did: string): AgentView {
    const found = this.views.find((v) => v.did === did);
    if (!found)
      throw new PlexusError(ErrorCode.AgentNotFound, `no agent ${did} in this registry`, { details: { did } });
    return found;
  }

  agents(options: { all?: boolean } = {}): Answer<AgentView[]> {
    return this.#answer(this.views.filter((v) => options.all === true || v.present));
  }

  agent(did: string): Answer<AgentView> {
    return this.#answer(this.#find(did));
  }

  discover(query: DiscoverQuery): Answer<DiscoverResult[]> {
    this.lastDiscover = query;
    const found = this.views
      .filter(
        (v) =>
          (query.includeOffline === true || v.present) &&
          (query.capability === undefined || v.capabilities.includes(query.capability)),
      )
      .map((v): DiscoverResult => {
        const score = this.scores[v.did] ?? 0.5;
        const { did, name, description, capabilities, tags, liveness, lastHeartbeat, credential, claims } = v;
        return {
          did,
          name,
          description,
          capabilities,
          tags,
          score,
          relevance: 1,
          rank: score,
          factors: factors(score),
          newcomer: false,
          trust: 1,
          trustSource: "ratings",
          unanchored: false,
          exploration: false,
          liveness,
          lastHeartbeat,
          credential,
          claims,
        };
      })
      .filter((r) => r.score >= (query.minScore ?? 0))
      .sort((a, b) => b.rank - a.rank);
    return this.#answer(found.slice(0, query.limit ?? 20));
  }

  reputation(did: string): Answer<Reputation> {
    const score = this.scores[this.#find(did).did] ?? 0.5;
    return this.#answer({
      did,
      score,
      factors: factors(score),
      trust: 1,
      newcomer: false,
      anchor: false,
      trustSource: "ratings",
      unanchored: false,
    });
  }

  trustAnchors(): Answer<TrustAnchorView[]> {
    return this.#answer([
      { did: ALICE, role: "agent", by: BOB, at: AS_OF.at - 10, seq: 7, reason: "founder", member: true },
      { did: CAROL, role: "issuer", by: BOB, at: AS_OF.at - 5, seq: 9, member: false },
    ]);
  }

  /** Served over NATS only (credential verify); the HTTP API has no route for it. */
  credentialStatus(query: CredentialStatusQuery): Answer<CredentialStatusView> {
    return this.#answer({
      ...query,
      registryKeys: [BOB],
      retiredRegistryKeys: [],
      known: false,
      recordedAs: [],
      holders: [],
      revoked: false,
    });
  }

  status(): RegistryStatus {
    return {
      mesh: "httptest",
      registry: "did:key:z6MkregistryRegistryRegistryRegistryRegistryReg",
      registryKeys: ["did:key:z6MkregistryRegistryRegistryRegistryRegistryReg"],
      ready: this.ready,
      connected: true,
      seq: AS_OF.seq,
      agents: { total: 3, present: 2, alive: 2, suspect: 0, offline: 0, gone: 1 },
      counters: {},
      evidence: evidenceSummary({}),
      startedAt: AS_OF.at,
      rebuild: { fromSnapshot: false, snapshotSeq: 0, events: 42, ms: 3 },
    };
  }
}

const api = new MemoryRegistry();
const internalErrors: unknown[] = [];
let server: RegistryHttpServer;

beforeAll(async () => {
  server = await serveRegistryHttp(api, { host: "127.0.0.1", port: 0, onError: (err) => internalErrors.push(err) });
});
afterAll(async () => {
  await server?.close();
});

async function get(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const enc = encodeURIComponent;

/** The error body shape, exactly: { error: { code, message, retryable, help } }, with the status of the code's spec. */
function expectError(r: { status: number; body: Record<string, unknown> }, status: number, code: ErrorCode): string {
  expect(r.status).toBe(status);
  expect(r.status).toBe(httpStatusFor(code));
  expect(Object.keys(r.body)).toEqual(["error"]);
  const error = r.body["error"] as { code: string; message: string; retryable: boolean; help: string };
  expect(Object.keys(error).sort()).toEqual(["code", "help", "message", "retryable"]);
  expect(error.code).toBe(code);
  expect(error.retryable).toBe(errorSpec(code).retryable);
  expect(error.message).not.toBe("");
  return error.message;
}

describe("registry HTTP API", () => {
  it("listens on a free port and reports its URL", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("GET /healthz: 200 {status: ok}", async () => {
    const r = await get("/healthz");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.body).toEqual({ status: "ok" });
  });

  it("GET /readyz: 200 with the status while ready, 503 with it while not", async () => {
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ data: api.status(), asOf: { seq: api.status().seq, at: expect.any(Number) } });
    api.ready = false;
    try {
      const notReady = await get("/readyz");
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({
        data: { ready: false, mesh: "httptest" },
        asOf: { seq: api.status().seq },
      });
      // Liveness is not readiness: healthz still answers.
      expect((await get("/healthz")).status).toBe(200);
    } finally {
      api.ready = true;
    }
  });

  it("GET /v1/status: the node's status as {data, asOf}, asOf its log position and the time it was read", async () => {
    const before = Date.now();
    const r = await get("/v1/status");
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["asOf", "data"]);
    expect(r.body["data"]).toEqual(api.status());
    const asOf = r.body["asOf"] as { seq: number; at: number };
    expect(asOf.seq).toBe(api.status().seq);
    expect(asOf.at).toBeGreaterThanOrEqual(before);
    expect(asOf.at).toBeLessThanOrEqual(Date.now());
  });

  it("GET /v1/agents: the present agents as {data, asOf}; all=true includes those that left", async () => {
    const r = await get("/v1/agents");
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["asOf", "data"]);
    expect(r.body["asOf"]).toEqual(AS_OF);
    expect((r.body["data"] as AgentView[]).map((a) => a.name)).toEqual(["alice", "bob"]);
    expect((r.body["data"] as AgentView[])[0]).toEqual(api.views[0]);
    const all = await get("/v1/agents?all=true");
    expect((all.body["data"] as AgentView[]).map((a) => a.name)).toEqual(["alice", "bob", "carol"]);
    const notAll = await get("/v1/agents?all=false");
    expect((notAll.body["data"] as AgentView[]).map((a) => a.name)).toEqual(["alice", "bob"]);
  });

  it("GET /v1/agents/:did: one agent by URL-encoded (or plain) DID; 404 AGENT_NOT_FOUND for an unknown one", async () => {
    const r = await get(`/v1/agents/${enc(BOB)}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: api.views[1], asOf: AS_OF });
    expect((await get(`/v1/agents/${BOB}`)).body["data"]).toMatchObject({ did: BOB });
    const unknown = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH";
    const message = expectError(await get(`/v1/agents/${enc(unknown)}`), 404, "AGENT_NOT_FOUND");
    expect(message).toContain(unknown);
  });

  it("GET /v1/agents/:did/reputation: the Reputation object", async () => {
    const r = await get(`/v1/agents/${enc(ALICE)}/reputation`);
    expect(r.status).toBe(200);
    expect(r.body["asOf"]).toEqual(AS_OF);
    expect(r.body["data"]).toEqual({
      did: ALICE,
      score: 0.8,
      factors: factors(0.8),
      trust: 1,
      newcomer: false,
      anchor: false,
      trustSource: "ratings",
      unanchored: false,
    });
    expectError(
      await get(`/v1/agents/${enc("did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH")}/reputation`),
      404,
      "AGENT_NOT_FOUND",
    );
  });

  it("GET /v1/trust-anchors: the anchors in log order as {data, asOf}", async () => {
    const r = await get("/v1/trust-anchors");
    expect(r.status).toBe(200);
    expect(r.body["asOf"]).toEqual(AS_OF);
    expect(r.body["data"]).toEqual(api.trustAnchors().result);
    expectError(await get("/v1/trust-anchors?role=agent"), 400, "INVALID_ARGUMENT");
    expectError(await get("/v1/trust-anchors", { method: "POST" }), 405, "METHOD_NOT_ALLOWED");
  });

  it("a path segment that is not a DID: 400 INVALID_ARGUMENT", async () => {
    expectError(await get("/v1/agents/alice"), 400, "INVALID_ARGUMENT");
    expectError(await get(`/v1/agents/${enc("did:key:z6Mk x")}/reputation`), 400, "INVALID_ARGUMENT");
  });

  it("GET /v1/discover: every parameter reaches the query; results best first", async () => {
    const r = await get(
      "/v1/discover?capability=translate&q=fast%20translation&tag=test&min_score=0.25&limit=5&include_offline=true",
    );
    expect(r.status).toBe(200);
    expect(api.lastDiscover).toEqual({
      capability: "translate",
      q: "fast translation",
      tag: "test",
      minScore: 0.25,
      limit: 5,
      includeOffline: true,
    });
    const data = r.body["data"] as DiscoverResult[];
    expect(data.map((d) => d.name)).toEqual(["alice", "bob"]);
    for (const d of data)
      expect(Object.keys(d)).toEqual(
        expect.arrayContaining(["did", "name", "capabilities", "score", "factors", "liveness"]),
      );
    expect(r.body["asOf"]).toEqual(AS_OF);

    const bare = await get("/v1/discover");
    expect(bare.status).toBe(200);
    expect(api.lastDiscover).toEqual({});
    expect((await get("/v1/discover?min_score=1&limit=1000&include_offline=false")).status).toBe(200);
    expect(api.lastDiscover).toEqual({ minScore: 1, limit: 1000, includeOffline: false });
    expect(((await get("/v1/discover?min_score=0&limit=1")).body["data"] as unknown[]).length).toBe(1);
  });

  it("query parameters are validated strictly: 400 INVALID_ARGUMENT naming the problem", async () => {
    const bad: [string, string][] = [
      ["/v1/discover?min_score=1.5", "min_score"],
      ["/v1/discover?min_score=-0.1", "min_score"],
      ["/v1/discover?min_score=abc", "min_score"],
      ["/v1/discover?min_score=", "min_score"],
      ["/v1/discover?min_score=1e-1", "min_score"],
      ["/v1/discover?limit=0", "limit"],
      ["/v1/discover?limit=1001", "limit"],
      ["/v1/discover?limit=2.5", "limit"],
      ["/v1/discover?limit=ten", "limit"],
      ["/v1/discover?include_offline=yes", "include_offline"],
      ["/v1/discover?include_offline", "include_offline"],
      ["/v1/discover?capability=", "capability"],
      ["/v1/discover?limit=1&limit=2", "limit"],
      ["/v1/discover?capabilty=translate&sort=score", "capabilty, sort"],
      ["/v1/agents?all=1", "all"],
      ["/v1/agents?limit=3", "limit"],
      [`/v1/agents/${enc(ALICE)}?verbose=true`, "verbose"],
      [`/v1/agents/${enc(ALICE)}/reputation?x=1`, "x"],
      ["/healthz?probe=1", "probe"],
      ["/v1/status?x", "x"],
    ];
    for (const [path, names] of bad) {
      const message = expectError(await get(path), 400, "INVALID_ARGUMENT");
      expect(message, path).toContain(names);
    }
  });

  it("unknown routes: 404 NOT_FOUND; other methods on known paths: 405 METHOD_NOT_ALLOWED", async () => {
    expectError(await get("/v1/nothing"), 404, "NOT_FOUND");
    expectError(await get("/"), 404, "NOT_FOUND");
    expectError(await get("/v1/agents/"), 404, "NOT_FOUND");
    expectError(await get(`/v1/agents/${enc(ALICE)}/other`), 404, "NOT_FOUND");
    for (const [method, path] of [
      ["POST", "/v1/agents"],
      ["DELETE", `/v1/agents/${enc(ALICE)}`],
      ["PUT", "/v1/discover"],
      ["POST", "/healthz"],
    ] as const) {
      const r = await get(path, { method });
      expectError(r, 405, "METHOD_NOT_ALLOWED");
      expect(r.headers.get("allow")).toBe("GET, HEAD");
    }
    expectError(await get("/v1/nothing", { method: "POST" }), 404, "NOT_FOUND");
    const head = await fetch(`${server.url}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("errors from the API: each code with its spec's status (NOT_READY 503, INVALID_ARGUMENT 400, TIMEOUT 504), anything else 500 INTERNAL saying nothing more", async () => {
    try {
      api.failWith = new PlexusError(ErrorCode.NotReady, "the registry is still rebuilding its projections");
      expect(expectError(await get("/v1/agents"), 503, "NOT_READY")).toBe(
        "the registry is still rebuilding its projections",
      );
      api.failWith = new PlexusError(ErrorCode.InvalidArgument, "q is too long");
      expectError(await get("/v1/discover?q=x"), 400, "INVALID_ARGUMENT");
      api.failWith = new PlexusError(ErrorCode.Timeout, "took too long");
      expectError(await get("/v1/agents"), 504, "TIMEOUT");
      const boom = new TypeError("cannot read properties of undefined");
      api.failWith = boom;
      const r = await get(`/v1/agents/${enc(ALICE)}/reputation`);
      expect(expectError(r, 500, ErrorCode.Internal)).toBe(INTERNAL_MESSAGE);
      expect(JSON.stringify(r.body)).not.toContain("cannot read");
      expect(internalErrors).toContain(boom);
    } finally {
      api.failWith = undefined;
    }
  });
});

describe("serveRegistryHttp", () => {
  it("a port already in use: rejects with INVALID_ARGUMENT naming the address", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const err = await serveRegistryHttp(api, { host: "127.0.0.1", port }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PlexusError);
      expect((err as PlexusError).code).toBe(ErrorCode.InvalidArgument);
      expect((err as PlexusError).message).toBe(`cannot serve HTTP on 127.0.0.1:${port}: the port is already in use`);
      expect((err as PlexusError).details).toMatchObject({ portInUse: true, port });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("refuses a bad port before listening", async () => {
    await expect(serveRegistryHttp(api, { host: "127.0.0.1", port: 70000 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(serveRegistryHttp(api, { host: "127.0.0.1", port: 1.5 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("close() stops listening even with a keep-alive connection open, and is idempotent", async () => {
    const s = await serveRegistryHttp(api, { host: "127.0.0.1", port: 0 });
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    await r.text();
    await Promise.all([s.close(), s.close()]);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it("await using closes it", async () => {
    let url: string;
    {
      await using s = await serveRegistryHttp(api, { host: "127.0.0.1", port: 0 });
      url = s.url;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
