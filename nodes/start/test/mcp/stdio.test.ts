/**
 * `plexus mcp --as NAME` as an MCP client starts it: a child process speaking MCP on stdio, acting as the agent NAME
 * in a real mesh (registry node, sealer, a helper agent that replies). Driven by the SDK's own MCP Client, by the MCP
 * Inspector CLI, and by hand to check that stdout carries nothing but JSON-RPC.
 */
import { execFile, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import fc from "fast-check";
import { connectBus } from "@plexus/bus";
import { agentToken, Defaults, MessageKind, meshSubjects, newId } from "@plexus/core";
import { generateKeyPair, KeyStore } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { hostileMessages } from "@plexus/testing/internal";
import { MCP_KEY_NAME, startMesh, textOf, type Mesh } from "./fixtures.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const PLEXUS = resolve(ROOT, "nodes/cli/bin/plexus.js");
const INSPECTOR = resolve(ROOT, "node_modules/.bin/mcp-inspector");

const nats = useTestServer();
let m: Mesh;
let client: Client;
let stderr = "";
const transportErrors: unknown[] = [];

/** The child's environment without the caller's PLEXUS_* settings. */
function env(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PLEXUS_")) out[k] = v;
  return out;
}

const mcpArgs = (as: string = MCP_KEY_NAME) => [
  PLEXUS,
  "mcp",
  "--as",
  as,
  "--keys",
  m.keysDir,
  "--mesh",
  m.mesh,
  "--nats",
  nats.url,
];

beforeAll(async () => {
  m = await startMesh(nats.url, { http: false, sealer: true });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: mcpArgs(),
    env: env(),
    cwd: ROOT,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  transport.onerror = (err) => transportErrors.push(err);
  client = new Client({ name: "plexus-test", version: "1.0.0" });
  await client.connect(transport);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await m?.close();
}, 30_000);

const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });

describe("plexus mcp over stdio (SDK Client)", () => {
  it("starts, logs to stderr only, and lists every tool: the identity's messaging tools and verify_audit", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "discover_agents",
      "get_agent",
      "rate_agent",
      "read_inbox",
      "send_message",
      "verify_audit",
    ]);
    const send = tools.find((t) => t.name === "send_message");
    expect(send?.inputSchema.required).toEqual(["to", "body"]);
    expect(tools.find((t) => t.name === "rate_agent")?.inputSchema.properties?.["factor"]).toMatchObject({
      enum: ["reliability", "quality", "responsiveness", "honesty", "cooperativeness"],
    });
    expect(stderr).toContain(`MCP server on stdio as ${m.mcpDid}`);
    expect(transportErrors).toEqual([]);
  });

  it("discover_agents and get_agent go through the registry over NATS", async () => {
    const found = await call("discover_agents", { query: "echoes" });
    expect((found.structuredContent as { agents: { did: string }[] }).agents.map((a) => a.did)).toContain(m.helper.did);
    const agent = await call("get_agent", { did: m.helper.did });
    expect(agent.structuredContent).toMatchObject({
      agent: { name: "helper", capabilities: ["echo"] },
      reputation: { did: m.helper.did },
    });
  });

  let conversation: string;

  it("send_message with await_reply sends as the identity and returns the listening agent's reply", async () => {
    const result = await call("send_message", {
      to: m.helper.did,
      body: { task: "echo", n: 1 },
      type: "task.request",
      await_reply: true,
      timeout_seconds: 20,
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as {
      id: string;
      conversation: string;
      reply: { from: string; body: unknown; replyTo: string };
    };
    expect(out.reply).toMatchObject({ from: m.helper.did, body: { echo: { task: "echo", n: 1 } }, replyTo: out.id });
    const got = m.received.find((d) => d.id === out.id);
    expect(got).toMatchObject({ from: m.mcpDid, type: "task.request", conversation: out.conversation });
    conversation = out.conversation;
  });

  it("send_message without await_reply resolves once stored, in a new conversation it names", async () => {
    const result = await call("send_message", { to: m.helper.did, body: "hello" });
    const out = result.structuredContent as { id: string; conversation: string; reply?: unknown };
    expect(out.conversation).toMatch(/^[0-9A-Z]{26}$/);
    expect(out.reply).toBeUndefined();
    await until(() => m.received.some((d) => d.id === out.id), 10_000, "the helper to receive it");
  });

  it("send_message awaiting an agent that never answers is a TIMEOUT tool error", async () => {
    const silent = generateKeyPair().did;
    const result = await call("send_message", { to: silent, body: {}, await_reply: true, timeout_seconds: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^TIMEOUT: no reply from /);
  });

  it("read_inbox returns what another agent sent, acknowledges it (the sender gets its processed receipt), and not again", async () => {
    const carol = await m.agent();
    const first = await carol.send(m.mcpDid, { q: 1 }, { type: "question", conversation: "c-read" });
    const receipt = carol.waitForReceipt(first.id, { timeoutMs: 20_000 });
    await carol.send(m.mcpDid, { q: 2 }, { type: "question", conversation: "c-read" });
    const messages: { id: string; from: string; body: unknown; conversation: string | null }[] = [];
    while (messages.length < 2) {
      const result = await call("read_inbox", { max: 10, wait_seconds: 10 });
      expect(result.isError, textOf(result)).toBeFalsy();
      const got = (result.structuredContent as { messages: typeof messages }).messages;
      expect(got.length).toBeGreaterThan(0);
      messages.push(...got);
    }
    expect(messages.map((x) => x.body)).toEqual([{ q: 1 }, { q: 2 }]);
    expect(messages[0]).toMatchObject({ id: first.id, from: carol.did, conversation: "c-read" });
    expect((await receipt).status).toBe("processed");
    const again = await call("read_inbox", {});
    expect(again.structuredContent).toEqual({ messages: [] });
    expect(textOf(again)).toBe("No message in the inbox.");
  });

  it("read_inbox after a storm of hostile messages: the server stays up and hands out only the legitimate one", async () => {
    const raw = await connectBus({ servers: nats.url });
    try {
      const key = generateKeyPair();
      const subject = meshSubjects(m.mesh).message(MessageKind.Inbox, agentToken(m.mcpDid), agentToken(key.did));
      const ctx = { key, to: m.mcpDid, other: m.helper.did, maxEnvelopeBytes: Defaults.maxEnvelopeBytes };
      for (const msg of fc.sample(hostileMessages(ctx), { numRuns: 40, seed: Date.now() % 2 ** 31 })) {
        await jetstream(raw).publish(subject, msg.data, { msgID: newId() });
      }
    } finally {
      await raw.close();
    }
    const carol = await m.agent();
    const sent = await carol.send(m.mcpDid, { after: "storm" });
    const result = await call("read_inbox", { max: 100, wait_seconds: 10 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { messages: { id: string }[] }).messages.map((x) => x.id)).toEqual([sent.id]);
    expect(transportErrors).toEqual([]);
  });

  it("rate_agent is refused without a conversation both ways (REQUEST_REFUSED no_conversation), accepted with one", async () => {
    const refused = await call("rate_agent", { did: m.helper.did, conversation: "never-talked", score: 0.9 });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^REQUEST_REFUSED \(no_conversation\): /);
    const rated = await call("rate_agent", {
      did: m.helper.did,
      conversation,
      score: 0.9,
      factor: "quality",
      comment: "quick",
    });
    expect(rated.isError, textOf(rated)).toBeFalsy();
    expect(rated.structuredContent).toMatchObject({
      ratee: m.helper.did,
      conversation,
      score: 0.9,
      factor: "quality",
      seq: expect.any(Number),
    });
    const badFactor = await call("rate_agent", { did: m.helper.did, conversation, score: 0.9, factor: "speed" });
    expect(badFactor.isError).toBe(true);
  });

  it("verify_audit reports the sealed chain sound", async () => {
    const result = await call("verify_audit", {});
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ ok: true });
  });

  it("lists and reads agent cards as resources", async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`plexus://agents/${m.helper.did}`);
    const read = await client.readResource({ uri: `plexus://agents/${m.helper.did}` });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ name: "helper" });
  });

  it("offers the find_agent prompt", async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(["find_agent"]);
    const prompt = await client.getPrompt({ name: "find_agent", arguments: { need: "echo a task" } });
    expect(JSON.stringify(prompt.messages)).toContain("send_message");
  });
});

describe("plexus mcp over stdio, by hand and with the MCP Inspector CLI", () => {
  // An identity of their own: the server above still runs as MCP_KEY_NAME, and one key runs in one process at a time
  // (a second `plexus mcp` with it is refused with KEY_IN_USE).
  const OTHER = "mcpother";
  beforeAll(async () => {
    await new KeyStore(m.keysDir).create(OTHER);
  });
  it("writes nothing but JSON-RPC to stdout, and exits 0 when the client closes stdin", async () => {
    const child = spawn(process.execPath, mcpArgs(OTHER), { cwd: ROOT, env: env(), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const exited = new Promise<number | null>((r) => child.on("close", r));
    const lines = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
    ];
    child.stdin.write(`${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    try {
      await until(() => out.includes('"id":2'), 20_000, "the tools/list answer");
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    const messages = out
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { jsonrpc: string; id?: number });
    expect(messages.every((x) => x.jsonrpc === "2.0")).toBe(true);
    expect(messages.map((x) => x.id)).toEqual([1, 2]);
    expect(err).toContain("MCP server on stdio");
  }, 30_000);

  it("the Inspector lists the tools and calls discover_agents, given the command to start", async () => {
    const inspector = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        execFile(
          INSPECTOR,
          ["--cli", process.execPath, ...mcpArgs(OTHER), ...args],
          { cwd: ROOT, timeout: 30_000, encoding: "utf8", env: env() },
          (e, stdout, stderr) => {
            done({ code: e ? ((e as { code?: number }).code ?? null) : 0, stdout, stderr });
          },
        );
      });
    const list = await inspector("--method", "tools/list");
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain(
      "send_message",
    );
    const found = await inspector(
      "--method",
      "tools/call",
      "--tool-name",
      "discover_agents",
      "--tool-arg",
      "capability=echo",
    );
    expect(found.code, found.stderr).toBe(0);
    expect(
      (JSON.parse(found.stdout) as { structuredContent: { agents: { did: string }[] } }).structuredContent.agents.map(
        (a) => a.did,
      ),
    ).toEqual([m.helper.did]);
  }, 60_000);
});
