/**
 * A node behind the log answers NOT_READY before it does anything; the registry client sends such a request again
 * after a short pause while its timeout allows (anp client.ts), so with one node held behind and another current every
 * request is answered, and a lone node that stays behind still ends in NOT_READY (bounded by the timeout, not a hang).
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { RegistryClient } from "@plexus/anp";
import { ErrorCode } from "@plexus/core";
import { useTestServer, until } from "@plexus/testing";
import { afterEach, describe, expect, it } from "vitest";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nst = useTestServer();
const kit = meshKit(() => nst.url);
afterEach(() => kit.close());

/** Appends two records to the mesh log without asking a registry node (a paused node would wait for its own write). */
async function moveLog(mesh: string): Promise<void> {
  const nc = await connect({ servers: nst.url });
  try {
    for (const n of [1, 2]) {
      await jetstream(nc).publish(`plexus.${mesh}.ops.rejected.writer`, new TextEncoder().encode(`{"n":${n}}`));
    }
  } finally {
    await nc.close();
  }
}

describe("requests answered NOT_READY", () => {
  it("are sent again: with one node held behind and one current, 40 requests in a row are all answered", async () => {
    const mesh = freshMesh();
    const behind = await kit.node(mesh, { maxLagEvents: 1 });
    const current = await kit.node(mesh);
    const agent = await kit.agent(mesh);
    await agent.join(card("a"));
    const resume = behind.pauseFollowing();
    try {
      // Held still while the log moves: more than one event behind, so the node answers NOT_READY.
      await moveLog(mesh);
      await until(() => !behind.ready, 10_000, "the held node not ready");
      expect(current.ready).toBe(true);
      const nc = await connect({ servers: nst.url });
      try {
        const client = new RegistryClient(nc, mesh);
        for (let i = 0; i < 40; i += 1) expect((await client.discover({})).result.length).toBe(1);
      } finally {
        await nc.close();
      }
    } finally {
      resume();
    }
  }, 60_000);

  it("end in NOT_READY when every node stays behind", async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, { maxLagEvents: 1 });
    const agent = await kit.agent(mesh);
    await agent.join(card("a"));
    const resume = node.pauseFollowing();
    try {
      await moveLog(mesh);
      await until(() => !node.ready, 10_000, "the held node not ready");
      const nc = await connect({ servers: nst.url });
      try {
        await expect(new RegistryClient(nc, mesh, { timeoutMs: 1_500 }).discover({})).rejects.toMatchObject({
          code: ErrorCode.NotReady,
        });
      } finally {
        await nc.close();
      }
    } finally {
      resume();
    }
  }, 60_000);
});
