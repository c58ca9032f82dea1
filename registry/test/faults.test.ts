import { afterEach, describe, expect, it } from "vitest";
import { until, useTestServer } from "@plexus/testing";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

describe("registry faults", () => {
  it("SIGKILL of the nats-server: what was admitted stays admitted, the node follows on, beats and joins resume", {
    timeout: 60_000,
  }, async () => {
    const mesh = freshMesh();
    const node = await kit.node(mesh, {
      heartbeatIntervalMs: 200,
      suspectAfterMs: 3_000,
      offlineAfterMs: 6_000,
      goneAfterMs: 9_000,
    });
    const agents = await Promise.all(Array.from({ length: 5 }, () => kit.agent(mesh)));
    await Promise.all(agents.map((a, i) => a.join(card(`survivor-${i}`))));
    const before = node.queries.agents().result.map((a) => a.did);
    expect(before).toHaveLength(5);

    await nats.server.kill();
    await nats.server.restart();

    // Joins acknowledged before the crash are in the log; a join after it is applied by the same node.
    const late = await kit.agent(mesh);
    await until(
      async () => {
        try {
          await late.join(card("after-the-crash"));
          return true;
        } catch {
          return false;
        }
      },
      20_000,
      "a join after the restart",
    );
    await until(() => node.queries.agents().result.length === 6, 10_000, "six agents");
    expect(node.ready).toBe(true);
    const beatsAfter = node.status().counters.heartbeats ?? 0;
    await until(
      () => (node.status().counters.heartbeats ?? 0) > beatsAfter + 10,
      10_000,
      "heartbeats after the restart",
    );
    expect(node.queries.agents().result.every((a) => a.liveness === "alive")).toBe(true);

    // A node started now rebuilds the same membership from the log that survived the crash.
    const fresh = await kit.node(mesh, {
      heartbeatIntervalMs: 200,
      suspectAfterMs: 3_000,
      offlineAfterMs: 6_000,
      goneAfterMs: 9_000,
    });
    expect(
      fresh.queries
        .agents()
        .result.map((a) => a.did)
        .sort(),
    ).toEqual([...before, late.did].sort());
  });
});
