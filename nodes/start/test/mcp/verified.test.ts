/** discover_agents with verified_only / issuer over the registry node's MCP endpoint, against a real mesh. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair, issueCapabilityCredential } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { startMesh, textOf, type Mesh } from "./fixtures.js";

const nats = useTestServer();
let m: Mesh;
const certifier = generateKeyPair();

beforeAll(async () => {
  m = await startMesh(nats.url, { http: true, sealer: false });
  const { jwt } = await issueCapabilityCredential(certifier, {
    subject: m.helper.did,
    capabilities: ["echo"],
    ttlMs: 3_600_000,
  });
  await m.helper.presentCredential(jwt);
}, 60_000);
afterAll(async () => {
  await m?.close();
}, 30_000);

async function discover(args: Record<string, unknown>) {
  const client = new Client({ name: "plexus-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${m.node.httpUrl}/mcp`)));
  try {
    return await client.callTool({ name: "discover_agents", arguments: args });
  } finally {
    await client.close();
  }
}

type Agents = {
  agents: { did: string; claims: { name: string; attested: boolean; attestedBy: { issuer: string }[] }[] }[];
};

describe("discover_agents verified_only", () => {
  it("keeps agents whose capability is attested, says by whom, and filters by issuer", async () => {
    const all = (await discover({})).structuredContent as Agents;
    expect(all.agents.map((a) => a.did).sort()).toEqual([m.helper.did, m.mcpDid].sort());
    const verified = await discover({ verified_only: true });
    expect(verified.isError).toBeFalsy();
    const { agents } = verified.structuredContent as Agents;
    expect(agents.map((a) => a.did)).toEqual([m.helper.did]);
    expect(agents[0]?.claims).toEqual([
      { name: "echo", attested: true, attestedBy: [expect.objectContaining({ issuer: certifier.did })] },
    ]);
    expect(textOf(verified)).toContain(`echo (attested by ${certifier.did})`);
    expect(textOf(await discover({}))).toContain("chat (self-declared)");
    expect((await discover({ issuer: certifier.did })).structuredContent).toMatchObject({
      agents: [{ did: m.helper.did }],
    });
    expect((await discover({ issuer: generateKeyPair().did })).structuredContent).toMatchObject({ agents: [] });
  });
});
