/**
 * The registry node's MCP endpoint (/mcp, Streamable HTTP, stateless, no identity) against a real mesh: the SDK's
 * own MCP Client, plain fetch for the Host/Origin checks, the MCP Inspector CLI, and the generic scenarios of the
 * MCP conformance suite.
 */
import { execFile } from "node:child_process";
import { request, type IncomingHttpHeaders } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, errorSpec, jsonRpcCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { ERROR_META_KEY } from "@plexus/mcp/internal";
import { startMesh, textOf, type Mesh } from "./fixtures.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const BIN = (name: string) => resolve(ROOT, "node_modules/.bin", name);

const nats = useTestServer();
let m: Mesh;
let url: string;
let port: number;

beforeAll(async () => {
  m = await startMesh(nats.url, { http: true, sealer: true });
  url = `${m.node.httpUrl}/mcp`;
  port = Number(new URL(url).port);
}, 60_000);
afterAll(async () => {
  await m?.close();
}, 30_000);

async function withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: "plexus-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

function run(
  command: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd: ROOT, timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === "number"
          ? (err as { code: number }).code
          : null
        : 0;
      done({ code, stdout, stderr });
    });
  });
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

/** A raw request through node:http (fetch may not set Host); resolves with the status, headers and JSON body. */
function post(
  headers: Record<string, string>,
  body = initialize,
  method = "POST",
): Promise<{ status: number; headers: IncomingHttpHeaders; json: unknown }> {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method,
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () =>
          done({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: text ? (JSON.parse(text) as unknown) : undefined,
          }),
        );
      },
    );
    req.on("error", fail);
    req.end(method === "POST" ? body : undefined);
  });
}

describe("MCP over Streamable HTTP on the registry node (SDK Client)", () => {
  it("lists the read-only tools: no identity, so no messaging tools; verify_audit because the mesh is sealed", async () => {
    const names = await withClient(async (c) => (await c.listTools()).tools.map((t) => t.name));
    expect(names.sort()).toEqual(["discover_agents", "get_agent", "verify_audit"]);
  });

  it("discover_agents finds the helper by capability, ranked, as structured content and a short text", async () => {
    const result = await withClient((c) => c.callTool({ name: "discover_agents", arguments: { capability: "echo" } }));
    expect(result.isError).toBeFalsy();
    const { agents, asOf } = result.structuredContent as {
      agents: { did: string; name: string; liveness: string }[];
      asOf: { seq: number };
    };
    expect(agents.map((a) => a.did)).toEqual([m.helper.did]);
    expect(agents[0]).toMatchObject({ name: "helper", liveness: "alive" });
    expect(asOf.seq).toBeGreaterThan(0);
    expect(textOf(result)).toContain(m.helper.did);
    const none = await withClient((c) =>
      c.callTool({ name: "discover_agents", arguments: { capability: "teleport" } }),
    );
    expect(none.structuredContent).toMatchObject({ agents: [] });
  });

  it("get_agent answers the card and reputation; an unknown DID is a tool error naming AGENT_NOT_FOUND", async () => {
    const found = await withClient((c) => c.callTool({ name: "get_agent", arguments: { did: m.helper.did } }));
    expect(found.structuredContent).toMatchObject({
      agent: { did: m.helper.did, card: { name: "helper" } },
      reputation: { did: m.helper.did },
    });
    const unknown = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    const missing = await withClient((c) => c.callTool({ name: "get_agent", arguments: { did: unknown } }));
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^AGENT_NOT_FOUND: /);
    expect(missing._meta?.[ERROR_META_KEY]).toMatchObject({
      code: ErrorCode.AgentNotFound,
      retryable: false,
      help: errorSpec(ErrorCode.AgentNotFound).help,
    });
  });

  it("bad input is a tool error with the reason, never a transport error", async () => {
    const bad = await withClient((c) => c.callTool({ name: "get_agent", arguments: { did: "bob" } }));
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("must be an agent DID");
    const range = await withClient((c) => c.callTool({ name: "discover_agents", arguments: { min_score: 2 } }));
    expect(range.isError).toBe(true);
    const order = await withClient((c) => c.callTool({ name: "verify_audit", arguments: { from: 5, to: 2 } }));
    expect(order.isError).toBe(true);
    expect(textOf(order)).toMatch(/^INVALID_ARGUMENT: /);
  });

  it("verify_audit recomputes the sealed chain and reports ok", async () => {
    const result = await withClient((c) => c.callTool({ name: "verify_audit", arguments: {} }));
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ ok: true, from: 1 });
    expect(textOf(result)).toMatch(/^ok: verified \d+ events/);
  });

  it("serves the present agents' cards as plexus://agents/{did} resources", async () => {
    const { resources, templates, card } = await withClient(async (c) => ({
      resources: (await c.listResources()).resources,
      templates: (await c.listResourceTemplates()).resourceTemplates,
      card: await c.readResource({ uri: `plexus://agents/${m.helper.did}` }),
    }));
    expect(templates.map((t) => t.uriTemplate)).toEqual(["plexus://agents/{did}"]);
    expect(resources.map((r) => r.uri).sort()).toEqual(
      [`plexus://agents/${m.helper.did}`, `plexus://agents/${m.mcpDid}`].sort(),
    );
    const content = card.contents[0] as { mimeType?: string; text?: string };
    expect(content.mimeType).toBe("application/json");
    expect(JSON.parse(content.text ?? "{}")).toMatchObject({ name: "helper", capabilities: [{ name: "echo" }] });
    const unknown = withClient((c) =>
      c.readResource({ uri: "plexus://agents/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" }),
    );
    await expect(unknown).rejects.toMatchObject({ code: -32002 });
  });
});

describe("MCP over HTTP: DNS-rebinding protection and stateless methods", () => {
  it("accepts Host 127.0.0.1:PORT and localhost:PORT, with and without a local Origin", async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { host: `localhost:${port}` },
      { origin: "http://localhost:6274" },
      { origin: `http://127.0.0.1:${port}` },
      { origin: "https://localhost" },
    ]) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect((res.json as { result?: { serverInfo?: { name: string } } }).result?.serverInfo?.name).toBe(
        "plexus-registry",
      );
    }
  });

  it("refuses a foreign Host, another port, or a foreign Origin with 403", async () => {
    const cases: Record<string, string>[] = [
      { host: "evil.example.com" },
      { host: `evil.example.com:${port}` },
      { host: `127.0.0.1:${port + 1}` },
      { origin: "http://evil.example.com" },
      { origin: `http://localhost.evil.example.com:${port}` },
      { origin: "null" },
    ];
    for (const headers of cases) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      const code = jsonRpcCodeFor(ErrorCode.RequestRefused);
      expect(res.json).toMatchObject({
        jsonrpc: "2.0",
        error: { code, data: { code: ErrorCode.RequestRefused, retryable: false } },
        id: null,
      });
    }
  });

  it("answers GET and DELETE with 405 (no SSE stream, no sessions)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await post({}, "", method);
      expect(res.status).toBe(405);
      expect(res.headers["allow"]).toBe("POST");
      expect(res.json).toMatchObject({
        error: { code: jsonRpcCodeFor(ErrorCode.MethodNotAllowed), data: { code: ErrorCode.MethodNotAllowed } },
      });
    }
  });

  it("leaves the registry's REST API as it was", async () => {
    const res = await fetch(`${m.node.httpUrl}/v1/agents/${encodeURIComponent(m.helper.did)}`);
    expect(res.status).toBe(200);
  });
});

describe("MCP Inspector CLI (@modelcontextprotocol/inspector 1.0.3) over HTTP", () => {
  const inspector = (...args: string[]) => run(BIN("mcp-inspector"), ["--cli", url, "--transport", "http", ...args]);

  it("lists the tools", async () => {
    const r = await inspector("--method", "tools/list");
    expect(r.code, r.stderr).toBe(0);
    const { tools } = JSON.parse(r.stdout) as {
      tools: { name: string; inputSchema: { properties: Record<string, unknown> } }[];
    };
    expect(tools.map((t) => t.name).sort()).toEqual(["discover_agents", "get_agent", "verify_audit"]);
    expect(tools.find((t) => t.name === "get_agent")?.inputSchema.properties["did"]).toMatchObject({
      type: "string",
      pattern: expect.stringContaining("did:key:z6Mk"),
    });
  });

  it("calls discover_agents and get_agent", async () => {
    const found = await inspector(
      "--method",
      "tools/call",
      "--tool-name",
      "discover_agents",
      "--tool-arg",
      "capability=echo",
      "--tool-arg",
      "limit=5",
    );
    expect(found.code, found.stderr).toBe(0);
    const result = JSON.parse(found.stdout) as { isError?: boolean; structuredContent: { agents: { did: string }[] } };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent.agents.map((a) => a.did)).toEqual([m.helper.did]);
    // The Inspector exits 0 even when the tool fails: the result says so.
    const bad = await inspector("--method", "tools/call", "--tool-name", "get_agent", "--tool-arg", "did=nobody");
    expect(bad.code).toBe(0);
    expect(JSON.parse(bad.stdout)).toMatchObject({ isError: true });
  });
});

describe("MCP conformance suite (@modelcontextprotocol/conformance 0.1.13), the scenarios that fit any server", () => {
  const scenarios = [
    "server-initialize",
    "ping",
    "tools-list",
    "logging-set-level",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
  ];
  it.each(scenarios)("%s passes", async (scenario) => {
    const r = await run(BIN("conformance"), ["server", "--url", url, "--scenario", scenario, "--verbose"]);
    const checks = verboseChecks(r.stdout);
    expect(checks.length, r.stdout + r.stderr).toBeGreaterThan(0);
    expect(
      checks.filter((c) => c.status !== "SUCCESS"),
      r.stdout,
    ).toEqual([]);
    expect(r.stdout).toMatch(/Passed: (\d+)\/\1, 0 failed/);
    expect(r.code).toBe(0);
  });
});

/** The JSON array of checks `conformance server --verbose` prints between its header and its summary. */
function verboseChecks(stdout: string): { id: string; status: string }[] {
  const start = stdout.indexOf("\n[");
  const end = stdout.indexOf("\n]", start);
  if (start < 0 || end < 0) return [];
  return JSON.parse(stdout.slice(start + 1, end + 2)) as { id: string; status: string }[];
}
