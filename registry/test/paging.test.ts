import { afterEach, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { RegistryClient } from "@plexus/anp";
import { RegistryOp, encodeEvent, makeEvent } from "@plexus/anp/internal";
import { ErrorCode, agentToken, meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

describe("listing many agents over NATS", () => {
  it("pages through them, and an answer above the payload limit is an error reply, not a dead node", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh);
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      const subjects = meshSubjects(mesh);
      const big = card("big", ["echo"], { description: "x".repeat(1_900) });
      const now = Date.now();
      const acks = [];
      for (let i = 0; i < 650; i++) {
        const did = generateKeyPair().did;
        const event = makeEvent(kit.registryKey, "AgentJoined", did, {
          card: big,
          nonce: `n${i}`,
          credential: { id: `urn:uuid:${i}`, issuedAt: now, expiresAt: now + 3_600_000 },
        });
        acks.push(js.publish(subjects.registryEvent("AgentJoined", agentToken(did)), encodeEvent(event)));
      }
      const last = (await Promise.all(acks)).at(-1)!.seq;
      await node.waitFor(last);

      const client = new RegistryClient(nc, mesh);
      const { result } = await client.agents();
      expect(result).toHaveLength(650);
      expect(new Set(result.map((a) => a.did)).size).toBe(650);

      await expect(client.call(RegistryOp.Agents, { limit: 1_000 })).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
        message: expect.stringContaining("payload limit"),
      });
      await expect(client.call(RegistryOp.Agents, { limit: 0 })).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
      expect((await client.discover({ capability: "echo", limit: 5 })).result).toHaveLength(5);
      expect(node.status().counters["requests.tooLarge"]).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
