/**
 * One key, one process (issue 11, finding 3): a second agent with a key that is already running on the mesh is refused
 * at connect with KEY_IN_USE, so it can never fork the key's message chains; once the first one closes (or its process
 * dies), the key is free again. Two agents that start at the same moment: exactly one stays.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { Agent, ErrorCode, isPlexusError } from "../src/index.js";
import { freshMesh, until } from "./helpers.js";

const nats = useTestServer();
const operator = useTestServer({ operator: true });
const open: Agent[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((a) => a.close()));
});

async function connect(key: ReturnType<typeof generateKeyPair>, mesh: string, onError?: (err: unknown) => void): Promise<Agent> {
  const a = await Agent.connect({ key, nats: nats.url, mesh, ...(onError ? { onError } : {}) });
  open.push(a);
  return a;
}

describe("one key, one process", () => {
  it("a second agent on a running key is refused at connect with KEY_IN_USE; after the first closes it connects", async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const first = await connect(key, mesh);
    const err = await connect(key, mesh).catch((e: unknown) => e);
    expect(isPlexusError(err, ErrorCode.KeyInUse)).toBe(true);
    expect((err as Error).message).toContain("already in use by another running agent");
    // The same key on another mesh is another set of channels: allowed.
    await connect(key, freshMesh());
    await first.close();
    const again = await connect(key, mesh);
    await again.send(generateKeyPair().did, "still one chain");
  });

  it("two agents connecting with one key at the same moment: exactly one keeps running", { timeout: 30_000 }, async () => {
    for (let round = 0; round < 10; round++) {
      const mesh = freshMesh();
      const key = generateKeyPair();
      const lost: unknown[] = [];
      const results = await Promise.allSettled([connect(key, mesh, (e) => lost.push(e)), connect(key, mesh, (e) => lost.push(e))]);
      const refused = results.filter((r) => r.status === "rejected").length;
      // The loser is refused at connect, or finds the winner by its announcement just after and closes.
      await until(() => refused + lost.length >= 1, 10_000, "one of the two to give way");
      const usable = await Promise.all(
        results.map(async (r) => {
          if (r.status === "rejected") return false;
          try {
            await r.value.publish("t", "x");
            return true;
          } catch (e) {
            expect(isPlexusError(e, ErrorCode.KeyInUse)).toBe(true);
            return false;
          }
        }),
      );
      expect(usable.filter(Boolean)).toHaveLength(1);
      expect(refused + lost.length).toBe(1);
      await Promise.allSettled(open.splice(0).map((a) => a.close()));
    }
  });
});

describe("one key, one process, in operator mode (each agent its own NATS user)", () => {
  it("the claim is asked and answered within the key's own inbox prefix: the second connection is refused", async () => {
    const mesh = freshMesh();
    const service = await operator.server.auth.connectService(mesh);
    try {
      await ensureMeshStream(service, mesh);
      const key = generateKeyPair();
      const nc1 = await operator.server.auth.connectAgent(mesh, key);
      const nc2 = await operator.server.auth.connectAgent(mesh, key);
      try {
        const first = await Agent.connect({ key, nats: nc1, mesh });
        open.push(first);
        const err = await Agent.connect({ key, nats: nc2, mesh }).catch((e: unknown) => e);
        expect(isPlexusError(err, ErrorCode.KeyInUse)).toBe(true);
        await first.close();
        open.push(await Agent.connect({ key, nats: nc2, mesh }));
      } finally {
        await Promise.allSettled(open.splice(0).map((a) => a.close()));
        await Promise.allSettled([nc1.close(), nc2.close()]);
      }
    } finally {
      await service.close();
    }
  });
});
