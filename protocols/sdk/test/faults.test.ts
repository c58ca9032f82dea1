import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import type { Delivery } from "../src/index.js";
import { agentFactory, freshMesh, until } from "./helpers.js";
import { listenerProcess } from "./listener-process.js";

const nats = useTestServer();
const agents = agentFactory(() => nats.url);
afterEach(() => agents.close());

/** Runs `count` async jobs with at most `width` in flight. */
async function pipelined(count: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < count) await job(next++);
  });
  await Promise.all(lanes);
}

describe("faults", () => {
  it("SIGKILL of the nats-server during 10,000 sends: every resolved send is delivered, none twice as new", {
    timeout: 120_000,
  }, async () => {
    const mesh = freshMesh();
    const alice = await agents.make(mesh, { publishTimeoutMs: 60_000 });
    const bob = await agents.make(mesh);
    const fresh = new Map<string, number>();
    let deliveries = 0;
    await bob.listen((d: Delivery) => {
      deliveries++;
      if (!d.redelivered) fresh.set(d.id, (fresh.get(d.id) ?? 0) + 1);
    });

    const resolved: string[] = [];
    const failed: unknown[] = [];
    let killed = false;
    await pipelined(10_000, 64, async (i) => {
      if (!killed && resolved.length >= 3_000) {
        killed = true;
        await nats.server.kill();
        setTimeout(() => void nats.server.restart(), 300);
      }
      try {
        resolved.push((await alice.send(bob.did, { i })).id);
      } catch (err) {
        failed.push(err);
      }
    });
    expect(killed).toBe(true);
    expect(failed).toEqual([]);
    expect(resolved).toHaveLength(10_000);
    await until(() => resolved.every((id) => fresh.has(id)), 60_000, "every resolved send delivered");
    const twice = [...fresh].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    expect(deliveries).toBeGreaterThanOrEqual(10_000);
  });

  it("SIGKILL of a listening agent process mid-stream: the rest arrive when it comes back", {
    timeout: 120_000,
  }, async () => {
    const mesh = freshMesh();
    const key = generateKeyPair();
    const listener = listenerProcess({ key, url: nats.url, mesh });
    const { start, lines } = listener;
    let child: ChildProcess | undefined;
    try {
      const alice = await agents.make(mesh);
      child = await start();
      const ids: string[] = [];
      const sending = pipelined(2_000, 32, async (i) => {
        ids.push((await alice.send(key.did, { i })).id);
      });
      await until(() => lines().length >= 300, 30_000, "the listener to get going");
      child.kill("SIGKILL");
      await new Promise((r) => child!.once("exit", r));
      const before = new Set(lines().map((l) => l.split(" ")[0]));
      await sending;
      expect(before.size).toBeLessThan(2_000);
      child = await start();
      await until(
        () => new Set(lines().map((l) => l.split(" ")[0])).size >= 2_000,
        60_000,
        "every message after the restart",
      );
      const seen = lines().map((l) => l.split(" ") as [string, string]);
      expect(new Set(seen.map(([id]) => id))).toEqual(new Set(ids));
      const freshCounts = new Map<string, number>();
      for (const [id, again] of seen) if (again === "0") freshCounts.set(id, (freshCounts.get(id) ?? 0) + 1);
      // A message handled but not acknowledged before the kill comes back marked redelivered, never as new.
      expect([...freshCounts].filter(([, n]) => n > 1)).toEqual([]);
    } finally {
      child?.kill("SIGKILL");
      listener.remove();
    }
  });
});
