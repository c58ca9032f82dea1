/**
 * `plexus registry start` against a 3-server cluster with 2 servers down (issue 14: it exited after 7.7 s with
 * `plexus: timeout`): it waits, saying "waiting for JetStream (no quorum yet: …), retrying in Ns", and starts once the
 * servers are back; SIGTERM while it waits stops it cleanly (exit 0), as it does `audit seal` and `gateway start`.
 * Child processes, real servers.
 */
import { startTestCluster, type TestCluster } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliScopes, firstJson } from "./cli-process.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ servers: 3 });
}, 60_000);
afterAll(() => cluster?.cleanup());

const { scope } = cliScopes("quorum", () => cluster.url);
const WAITING = "plexus: waiting for JetStream (no quorum yet:";

describe("plexus registry start before the cluster has a quorum", { timeout: 110_000 }, () => {
  it("waits, saying so, and starts once the servers are back", async () => {
    const s = scope();
    const { start, reap } = cli();
    await Promise.all([1, 2].map((i) => cluster.servers[i]!.kill()));
    try {
      const registry = start(
        s.args("registry", "start", "--http", "127.0.0.1:0", "--data", "off", "--no-sealer", "--json"),
      );
      await registry.waitFor(WAITING, 45_000);
      await Promise.all([1, 2].map((i) => cluster.servers[i]!.restart()));
      const node = await firstJson<{ http: string }>(registry).catch(async () => {
        throw new Error(`no start line; stderr: ${registry.stderr()}`);
      });
      expect(registry.stderr()).toContain("JetStream is available: starting");
      expect((await fetch(`${node.http}/readyz`)).status).toBe(200);
      registry.child.kill("SIGTERM");
      expect((await registry.exited).code).toBe(0);
    } finally {
      await Promise.all([1, 2].filter((i) => !cluster.servers[i]!.running).map((i) => cluster.servers[i]!.restart()));
      await reap();
    }
  });

  it("SIGTERM while waiting stops it cleanly", async () => {
    const s = scope();
    const { start, reap } = cli();
    await Promise.all([1, 2].map((i) => cluster.servers[i]!.kill()));
    try {
      // With its sealer: the sealer waits first, and giving up ends the whole start (no "sealer could not start").
      const registry = start(s.args("registry", "start", "--http", "off", "--data", "off"));
      await registry.waitFor("waiting for JetStream (no quorum yet:", 45_000);
      registry.child.kill("SIGTERM");
      const done = await registry.exited;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toContain("stopped while waiting for JetStream");
      expect(done.stderr).not.toContain("error");
    } finally {
      await Promise.all([1, 2].map((i) => cluster.servers[i]!.restart()));
      await reap();
    }
  });

  it("audit seal and gateway start wait too, and SIGTERM while waiting stops them cleanly", async () => {
    const s = scope();
    const { start, reap } = cli();
    await Promise.all([1, 2].map((i) => cluster.servers[i]!.kill()));
    try {
      const sealer = start(s.args("audit", "seal", "--data", "off"));
      const gateway = start(s.args("gateway", "start", "--http", "127.0.0.1:0"));
      await Promise.all([
        sealer.waitFor(WAITING.replace("plexus: ", "plexus: audit sealer: "), 45_000),
        gateway.waitFor(WAITING, 45_000),
      ]);
      sealer.child.kill("SIGTERM");
      gateway.child.kill("SIGTERM");
      for (const done of await Promise.all([sealer.exited, gateway.exited])) {
        expect(done.code, done.stderr).toBe(0);
        expect(done.stderr).toContain("stopped while waiting for JetStream");
      }
    } finally {
      await Promise.all([1, 2].map((i) => cluster.servers[i]!.restart()));
      await reap();
    }
  });
});
