/**
 * The error table (ERROR_SPECS in @plexus/core) walked through every transport. Data-driven where a transport can map
 * any code: every code through the registry's HTTP app, the HTTP error responder, the gateway's REST and JSON-RPC
 * mappers and the CLI's exit code and --json line. Then real errors of known codes from real servers (a nats-server,
 * a registry node with HTTP and /mcp, an A2A gateway) and the CLI as a child process, each checked against the table:
 * exit code, HTTP status, JSON-RPC code and the code in the body.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type A2AGateway } from "@plexus/a2a";
import { jsonRpcErrorObject, PLEXUS_ERROR_DOMAIN, restErrorBody } from "@plexus/a2a/internal";
import { connectBus } from "@plexus/bus";
import {
  ERROR_SPECS,
  ErrorCode,
  errorSpec,
  exitCodeFor,
  httpStatusFor,
  jsonRpcCodeFor,
  PlexusError,
  type ErrorSpec,
} from "@plexus/core";
import { errorResponse } from "@plexus/http/internal";
import { generateKeyPair } from "@plexus/identity";
import { ERROR_META_KEY } from "@plexus/mcp/internal";
import { loadRegistryMcp } from "@plexus/nodes";
import { createRegistryApp, startRegistryNode, type RegistryNode } from "@plexus/registry";
import { Agent } from "@plexus/sdk";
import { useTestServer } from "@plexus/testing";
import { cliWireError, exitCodeOf, reportFatal } from "../src/errors.js";
import { cli, cliScopes, lines } from "./cli-process.js";

const CODES = Object.keys(ERROR_SPECS) as ErrorCode[];
const nats = useTestServer();
const scopes = cliScopes("errwalk", () => nats.url);

/** A wire error as every Plexus surface sends it, for `code`. */
function wire(code: ErrorCode, message: string = expect.any(String) as unknown as string) {
  const spec: ErrorSpec = errorSpec(code);
  return { code, message, retryable: spec.retryable, help: spec.help };
}

/** The ErrorInfo the gateway sends for `code`. */
function info(code: ErrorCode) {
  return expect.objectContaining({
    reason: code,
    domain: PLEXUS_ERROR_DOMAIN,
    metadata: expect.objectContaining({ retryable: String(errorSpec(code).retryable) }),
  });
}

describe("every code, through each transport's mapper", () => {
  it("registry HTTP app: the code's status and wire error", async () => {
    for (const code of CODES) {
      const app = createRegistryApp({
        trustAnchors: () => {
          throw new PlexusError(code, `provoked ${code}`);
        },
      } as never);
      const res = await app.request("/v1/trust-anchors");
      expect(res.status, code).toBe(httpStatusFor(code));
      expect(await res.json(), code).toEqual({ error: wire(code, `provoked ${code}`) });
    }
  });

  it("@plexus/http's error responder: the code's status and wire error", async () => {
    for (const code of CODES) {
      const res = errorResponse(new PlexusError(code, "m"));
      expect(res.status, code).toBe(httpStatusFor(code));
      expect(await res.json(), code).toEqual({ error: wire(code, "m") });
    }
  });

  it("gateway REST and JSON-RPC: the code's status and JSON-RPC code, the code as an ErrorInfo", () => {
    for (const code of CODES) {
      const err = new PlexusError(code, "m");
      expect(restErrorBody(err), code).toMatchObject({
        error: { code: httpStatusFor(code), message: "m", details: [info(code)] },
      });
      expect(jsonRpcErrorObject(err), code).toEqual({ code: jsonRpcCodeFor(code), message: "m", data: [info(code)] });
    }
  });

  it("CLI: the code's exit code and wire error", () => {
    for (const code of CODES) {
      const err = new PlexusError(code, "m\nmore");
      expect(exitCodeOf(err), code).toBe(exitCodeFor(code));
      expect(cliWireError(err), code).toEqual(wire(code, "m"));
      const written: string[] = [];
      expect(
        reportFatal(err, ["agents", "--json"], (t) => written.push(t)),
        code,
      ).toBe(exitCodeFor(code));
      expect(
        written.map((t) => JSON.parse(t) as unknown),
        code,
      ).toEqual([{ error: wire(code, "m") }]);
      written.length = 0;
      expect(
        reportFatal(err, ["agents"], (t) => written.push(t)),
        code,
      ).toBe(exitCodeFor(code));
      expect(written, code).toEqual(["plexus: m\n"]);
    }
  });
});

describe("real errors of known codes, on real servers", { timeout: 120_000 }, () => {
  const mesh = `errwalk${process.pid}`;
  const closers: (() => Promise<unknown>)[] = [];
  let registry: RegistryNode;
  let gateway: A2AGateway;
  let bobBase: string;
  let gatewayNc: Awaited<ReturnType<typeof connectBus>>;

  beforeAll(async () => {
    registry = await startRegistryNode({
      nats: nats.url,
      mesh,
      key: generateKeyPair(),
      http: { host: "127.0.0.1", port: 0 },
      refreshMs: 0,
      mcp: await loadRegistryMcp(),
    });
    closers.push(() => registry.stop());
    const bob = await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh });
    closers.push(() => bob.close());
    await bob.join({
      name: "bob",
      description: "a test agent",
      version: "1.0.0",
      capabilities: [{ name: "echo" }],
      tags: ["test"],
      a2a: { expose: true },
    });
    gatewayNc = await connectBus({ servers: nats.url, name: "error-walk gateway" });
    closers.push(() => gatewayNc.close());
    gateway = await startGateway({
      nats: gatewayNc,
      mesh,
      key: generateKeyPair(),
      http: { host: "127.0.0.1", port: 0 },
      directoryCacheMs: 600_000,
    });
    closers.push(() => gateway.stop());
    bobBase = `${gateway.url}/agents/${bob.did.slice("did:key:".length)}/`;
  }, 60_000);
  afterAll(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  }, 30_000);

  it("CLI as a child process: exit code and one line, or with --json one JSON object on stderr", async () => {
    const { run, reap } = cli();
    const s = scopes.scope();
    try {
      expect((await run(s.args("keys", "new", "alice"))).code).toBe(0);
      const cases: { args: string[]; code: ErrorCode }[] = [
        { args: s.args("send", "--as", "nokey", "--to", "alice", "hi"), code: ErrorCode.KeyNotFound },
        { args: s.args("send", "--as", "alice", "--to", "did:key:zNotADid", "hi"), code: ErrorCode.InvalidDid },
        { args: s.args("send", "--as", "alice", "--bogus"), code: ErrorCode.Usage },
        {
          args: s.args("reputation", generateKeyPair().did).map((a) => (a === s.mesh ? mesh : a)),
          code: ErrorCode.AgentNotFound,
        },
        { args: [...s.args("agents"), "--nats", "nats://127.0.0.1:1"], code: ErrorCode.NatsUnavailable },
      ];
      for (const c of cases) {
        const human = await run(c.args, 30_000);
        expect(human.code, `${c.args.join(" ")}\n${human.stderr}`).toBe(exitCodeFor(c.code));
        expect(lines(human.stderr)[0], c.code).toMatch(/^plexus: \S/);
        const json = await run([...c.args, "--json"], 30_000);
        expect(json.code, `${c.args.join(" ")} --json\n${json.stderr}`).toBe(exitCodeFor(c.code));
        expect(json.stdout, c.code).toBe("");
        expect(lines(json.stderr), c.code).toHaveLength(1);
        expect(JSON.parse(json.stderr), c.code).toEqual({ error: wire(c.code) });
      }
    } finally {
      await reap();
    }
  });

  it("registry HTTP: not found, invalid input, method and endpoint errors with the table's status", async () => {
    const cases: { path: string; init?: RequestInit; code: ErrorCode }[] = [
      { path: `/v1/agents/${encodeURIComponent(generateKeyPair().did)}`, code: ErrorCode.AgentNotFound },
      { path: "/v1/agents/alice", code: ErrorCode.InvalidArgument },
      { path: "/v1/agents", init: { method: "POST" }, code: ErrorCode.MethodNotAllowed },
      { path: "/v1/nothing", code: ErrorCode.NotFound },
    ];
    for (const c of cases) {
      const res = await fetch(`${registry.httpUrl}${c.path}`, c.init);
      expect(res.status, c.path).toBe(httpStatusFor(c.code));
      expect(await res.json(), c.path).toEqual({ error: wire(c.code) });
    }
  });

  it("MCP over HTTP: a tool error carries the code; a refused request has the table's status and JSON-RPC code", async () => {
    const client = new Client({ name: "error-walk", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${registry.httpUrl}/mcp`)));
    try {
      const missing = await client.callTool({ name: "get_agent", arguments: { did: generateKeyPair().did } });
      expect(missing.isError).toBe(true);
      expect(missing._meta?.[ERROR_META_KEY]).toEqual(wire(ErrorCode.AgentNotFound));
    } finally {
      await client.close();
    }
    const res = await fetch(`${registry.httpUrl}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        origin: "http://evil.example.com",
      },
      body: "{}",
    });
    expect(res.status).toBe(httpStatusFor(ErrorCode.RequestRefused));
    expect(await res.json()).toMatchObject({
      error: { code: jsonRpcCodeFor(ErrorCode.RequestRefused), data: wire(ErrorCode.RequestRefused) },
    });
  });

  it("gateway REST and JSON-RPC: an outage is the same code, retryable, on both; so is a NATS failure inside the SDK's handler", async () => {
    const rpc = (method: string, params: unknown): RequestInit => ({
      method: "POST",
      headers: { "content-type": "application/json", "A2A-Version": "1.0" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const rest: RequestInit = { headers: { "A2A-Version": "1.0" } };
    // bob's card is looked up now, and kept (directoryCacheMs) for after the outages below.
    expect((await fetch(`${bobBase}.well-known/agent-card.json`)).status).toBe(200);

    await registry.stop();
    const stranger = `${gateway.url}/agents/${generateKeyPair().did.slice("did:key:".length)}/`;
    const outage = ErrorCode.RegistryUnavailable;
    const restRes = await fetch(`${stranger}rest/tasks/x`, rest);
    expect(restRes.status).toBe(httpStatusFor(outage));
    expect(await restRes.json()).toMatchObject({ error: { code: httpStatusFor(outage), details: [info(outage)] } });
    const rpcRes = await fetch(`${stranger}jsonrpc`, rpc("GetTask", { id: "x" }));
    expect(await rpcRes.json()).toMatchObject({ error: { code: jsonRpcCodeFor(outage), data: [info(outage)] } });
    expect(errorSpec(outage).retryable).toBe(true);

    // The gateway's own connection gone: the error is thrown inside @a2a-js/sdk's handler, which maps it itself.
    await gatewayNc.close();
    const inside = await (await fetch(`${bobBase}jsonrpc`, rpc("GetTask", { id: "x" }))).json();
    const code = (inside as { error: { data: { reason: ErrorCode }[] } }).error.data[0]!.reason;
    expect([ErrorCode.NatsUnavailable, ErrorCode.Closed, ErrorCode.Timeout]).toContain(code);
    expect(inside).toMatchObject({ error: { code: jsonRpcCodeFor(code), data: [info(code)] } });
    const insideRest = await fetch(`${bobBase}rest/tasks/x`, rest);
    expect(insideRest.status).toBe(httpStatusFor(code));
    expect(await insideRest.json()).toMatchObject({ error: { details: [info(code)] } });
  });
});
