/**
 * One key, one process (issue 11, finding 3): an agent whose key is already running elsewhere on the mesh is refused
 * with KEY_IN_USE the first time it would sign on a channel of its own (send, publish, reply, listen), so it can never
 * fork the key's message chains; once the first one closes (or its process dies), the key is free again. Two agents
 * that start at the same moment: exactly one keeps running. An agent that only joins or discovers claims nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { agentToken } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { Agent, ErrorCode, isPlexusError } from "../src/index.js";
import { freshMesh, until } from "./helpers.js";

const nats = useTestServer();
const operator = useTestServer({ operator: true });
const open: Agent[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((a) => a.close()));
});

async function connect(key: KeyPair, mesh: string, onError?: (err: unknown) => void): Promise<Agent> {
  const a = await Agent.connect({ key, nats: nats.url, mesh, ...(onError ? { onError } : {}) });
  open.push(a);
  return a;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("one key, one process", () => {
  it("a second agent on a running key is refused with KEY_IN_USE before it signs anything; after the first closes it works", async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const peer = generateKeyPair().did;
    const first = await connect(key, mesh);
    await first.listen(() => undefined);
    const second = await connect(key, mesh);
    const err = await failure(second.send(peer, "forked?"));
    expect(isPlexusError(err, ErrorCode.KeyInUse)).toBe(true);
    expect((err as Error).message).toContain("already in use by another running agent");
    expect(isPlexusError(await failure(second.listen(() => undefined)), ErrorCode.KeyInUse)).toBe(true);
    expect(isPlexusError(await failure(second.publish("news", "x")), ErrorCode.KeyInUse)).toBe(true);
    // The same key on another mesh is another set of channels: allowed.
    await (await connect(key, freshMesh())).send(peer, "other mesh");
    await first.close();
    await second.send(peer, "now the only one");
  });

  it("forged claim messages (not signed by the key) neither refuse a starting agent nor make a running one give way", async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const peer = generateKeyPair().did;
    const raw = await connectBus({ servers: nats.url });
    try {
      const subject = `_INBOX.${agentToken(key.did)}.plexus-key.${mesh}`;
      // Someone answers every probe on the key's claim subject with an unsigned "I hold it since 1970".
      const liar = raw.subscribe(subject, {
        callback: (_e, m) =>
          void (
            m.reply &&
            m.respond(JSON.stringify({ instance: "liar", startedAt: 0, phase: "answer", at: Date.now(), sig: "x" }))
          ),
      });
      await raw.flush();
      const errors: unknown[] = [];
      const agent = await connect(key, mesh, (e) => errors.push(e));
      await agent.send(peer, "mine");
      liar.unsubscribe();
      // An announcement signed by another key, and one that has no signature: the running agent stays.
      const other = generateKeyPair();
      raw.publish(
        subject,
        JSON.stringify({
          instance: "older",
          startedAt: 0,
          phase: "announce",
          at: Date.now(),
          sig: other.signBase64url(new Uint8Array(8)),
        }),
      );
      raw.publish(subject, JSON.stringify({ instance: "older", startedAt: 0, phase: "announce", at: Date.now() }));
      await raw.flush();
      await new Promise((r) => setTimeout(r, 200));
      await agent.send(peer, "still mine");
      expect(errors.filter((e) => isPlexusError(e, ErrorCode.KeyInUse))).toEqual([]);
    } finally {
      await raw.close();
    }
  });

  it("two agents starting with one key at the same moment: exactly one keeps running", {
    timeout: 30_000,
  }, async () => {
    let bothSigned = 0;
    for (let round = 0; round < 10; round++) {
      const mesh = freshMesh();
      const key = generateKeyPair();
      const lost = [false, false];
      const agents = await Promise.all([0, 1].map((i) => connect(key, mesh, () => (lost[i] = true))));
      const first = await Promise.all(agents.map((a) => failure(a.publish("t", "x"))));
      for (const e of first) if (e !== undefined) expect(isPlexusError(e, ErrorCode.KeyInUse), String(e)).toBe(true);
      // The loser is refused at once, or finds the winner by its announcement just after and closes.
      const gaveWay = () => [0, 1].filter((i) => first[i] !== undefined || lost[i]).length;
      await until(() => gaveWay() >= 1, 10_000, "one of the two to give way");
      const usable = await Promise.all(agents.map(async (a) => (await failure(a.publish("t", "y"))) === undefined));
      expect(usable.filter(Boolean)).toHaveLength(1);
      expect(gaveWay()).toBe(1);
      bothSigned += first.every((e) => e === undefined) ? 1 : 0;
      await Promise.allSettled(open.splice(0).map((a) => a.close()));
    }
    // The loser gave way before its first publish (no forked channel), in every round.
    expect(bothSigned).toBe(0);
  });
});

describe("one key, one process, in operator mode (each agent its own NATS user)", () => {
  it("the claim is asked and answered within the key's own inbox prefix: the second process is refused", async () => {
    const mesh = freshMesh();
    const service = await operator.server.auth.connectService(mesh);
    const key = generateKeyPair();
    const nc1 = await operator.server.auth.connectAgent(mesh, key);
    const nc2 = await operator.server.auth.connectAgent(mesh, key);
    try {
      await ensureMeshStream(service, mesh);
      const first = await Agent.connect({ key, nats: nc1, mesh });
      open.push(first);
      await first.listen(() => undefined);
      const second = await Agent.connect({ key, nats: nc2, mesh });
      open.push(second);
      expect(isPlexusError(await failure(second.listen(() => undefined)), ErrorCode.KeyInUse)).toBe(true);
      await first.close();
      await second.listen(() => undefined);
    } finally {
      await Promise.allSettled(open.splice(0).map((a) => a.close()));
      await Promise.allSettled([nc1.close(), nc2.close(), service.close()]);
    }
  });
});
