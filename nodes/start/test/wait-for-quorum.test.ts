/**
 * Nodes started before the cluster has a JetStream quorum wait for it (issue 14: a registry exited after 7.7 s with
 * `plexus: timeout`). With 2 of 3 servers down, a registry process (node and sealer) and a gateway say
 * "waiting for JetStream (no quorum yet: …), retrying in Ns" and start once the servers are back; a start given up
 * (its signal aborted) ends with CLOSED instead of waiting on.
 */
import { ErrorCode } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { startTestCluster, until, type TestCluster } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayProcess, startRegistryProcess } from "../src/index.js";
import type { NodeLog } from "../src/log.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ servers: 3 });
}, 60_000);
afterAll(() => cluster?.cleanup());

function collect(): NodeLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) };
}

const WAITING = /^plexus: (audit sealer: )?waiting for JetStream \(no quorum yet: .+\), retrying in [\d.]+s$/;

describe("start before the cluster has a quorum", () => {
  it("a registry process and a gateway wait, saying so, and start once the servers are back", async () => {
    const down = [1, 2];
    await Promise.all(down.map((i) => cluster.servers[i]!.kill()));
    const registryLog = collect();
    const gatewayLog = collect();
    const key = generateKeyPair();
    const starting = startRegistryProcess({
      nats: cluster.url,
      mesh: "quorum",
      key,
      http: false,
      dataDir: undefined,
      sealer: { historyDir: undefined },
      log: registryLog,
    });
    const gateway = startGatewayProcess({
      nats: cluster.url,
      mesh: "quorum",
      key: generateKeyPair(),
      http: { host: "127.0.0.1", port: 0 },
      log: gatewayLog,
    });
    let settled = false;
    starting.then(
      () => (settled = true),
      () => (settled = true),
    );
    gateway.catch(() => undefined);
    try {
      await until(() => registryLog.lines.some((l) => WAITING.test(l)), 30_000, "the registry's waiting line");
      await until(() => gatewayLog.lines.some((l) => WAITING.test(l)), 30_000, "the gateway's waiting line");
      expect(settled).toBe(false);
    } finally {
      await Promise.all(down.map((i) => cluster.servers[i]!.restart()));
    }
    const started = Date.now();
    const process = await starting;
    const gw = await gateway;
    try {
      console.log(
        `started ${((Date.now() - started) / 1000).toFixed(1)} s after the servers came back; registry lines:\n  ` +
          registryLog.lines.join("\n  "),
      );
      await until(() => process.node.ready, 30_000, "the registry node ready");
      expect(registryLog.lines.some((l) => l.includes("JetStream is available"))).toBe(true);
      expect(gw.url).toMatch(/^http:/);
    } finally {
      await gw.stop();
      await process.stop();
    }
  }, 115_000);

  it("a start given up while waiting ends with CLOSED", async () => {
    await Promise.all([1, 2].map((i) => cluster.servers[i]!.kill()));
    try {
      const log = collect();
      const abort = new AbortController();
      const starting = startRegistryProcess({
        nats: cluster.url,
        mesh: "abandoned",
        key: generateKeyPair(),
        http: false,
        dataDir: undefined,
        sealer: false,
        log,
        signal: abort.signal,
      });
      const outcome = starting.then(
        () => "started",
        (err: unknown) => err,
      );
      await until(() => log.lines.some((l) => WAITING.test(l)), 45_000, "the waiting line");
      abort.abort();
      expect(await outcome).toMatchObject({ code: ErrorCode.Closed });
    } finally {
      await Promise.all([1, 2].map((i) => cluster.servers[i]!.restart()));
      await cluster.waitForQuorum();
    }
  }, 60_000);
});
