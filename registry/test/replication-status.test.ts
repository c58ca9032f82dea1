/**
 * A registry node reads the mesh's settings at start and reports the replication it found: `replication` in
 * /v1/status ({asked, streams: [{name, replicas, current}], warnings}), and one log line per stream below what the
 * mesh asks. One server: the settings are made to ask 3 by hand (what a cluster's mesh stream says) over streams that
 * keep 1; mesh-cli.test.ts (nodes/cli) runs the same on a 3-server cluster where nothing is below.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connectBus, ensureMeshStream, MESH_REPLICAS_KEY } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { afterEach, describe, expect, it } from "vitest";
import { freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
afterEach(() => kit.close());

interface Replication {
  asked: number;
  source: string;
  streams: { name: string; replicas: number; current: number }[];
  warnings: string[];
}

async function statusOf(url: string): Promise<{ replication?: Replication }> {
  return ((await (await fetch(`${url}/v1/status`)).json()) as { data: { replication?: Replication } }).data;
}

describe("a registry node's replication report", () => {
  it("a mesh that asks 1: /v1/status shows every stream at 1, current, and no warning", async () => {
    const mesh = freshMesh();
    const lines: string[] = [];
    const node = await kit.node(mesh, { http: { host: "127.0.0.1", port: 0 }, log: (l) => lines.push(l) });
    const r = (await statusOf(node.httpUrl!)).replication;
    expect(r?.asked).toBe(1);
    const names = r?.streams.map((s) => s.name) ?? [];
    expect(names).toContain(meshSubjects(mesh).stream);
    expect(names).toContain(`KV_${meshSubjects(mesh).heartbeatBucket}`);
    expect(r?.streams.every((s) => s.replicas === 1 && s.current === 1)).toBe(true);
    expect(r?.warnings).toEqual([]);
    expect(lines.filter((l) => l.includes("replication"))).toEqual([]);
  });

  it("a mesh that asks 3 over streams that keep 1: /v1/status warns for each, and the node logs one line per stream", async () => {
    const mesh = freshMesh();
    const nc = await connectBus({ servers: nats.url, name: "replication test" });
    try {
      // A first start makes the streams and the heartbeat bucket at 1; then the settings ask 3.
      await ensureMeshStream(nc, mesh);
      const first = await kit.node(mesh, { http: false });
      kit.forget(first);
      await first.stop();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.update(meshSubjects(mesh).stream, { metadata: { [MESH_REPLICAS_KEY]: "3" } });
    } finally {
      await nc.close();
    }
    const lines: string[] = [];
    const node = await kit.node(mesh, { http: { host: "127.0.0.1", port: 0 }, log: (l) => lines.push(l) });
    const r = (await statusOf(node.httpUrl!)).replication;
    expect(r?.asked).toBe(3);
    expect(r?.source).toBe("metadata");
    expect(r?.streams.length).toBeGreaterThanOrEqual(2);
    for (const s of r?.streams ?? []) {
      const warning = `stream ${s.name} keeps 1 of the 3 replicas the mesh asks for`;
      expect(r?.warnings).toContain(warning);
      expect(lines.filter((l) => l === `registry: replication: ${warning}`).length, s.name).toBe(1);
    }
    expect(r?.warnings.length).toBe(r?.streams.length);
  });
});
