/**
 * The mesh's settings on one server (the parts a cluster is not needed for; mesh-cli.test.ts runs a 3-server one):
 * where the replica count comes from (metadata, the stream's own count, nothing), that provisioning writes it and keeps
 * other metadata, that a count one server cannot keep is REPLICAS_UNAVAILABLE with nothing changed, and that the
 * replication report names every stream below what the settings ask.
 */
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectBus,
  ensureMeshStream,
  MESH_REPLICAS_KEY,
  readMeshSettings,
  replicationReport,
  watchReplication,
} from "@plexus/bus";
import { meshSettingsOf, meshStreamNames } from "@plexus/bus/internal";
import { ErrorCode, isPlexusError, meshSubjects } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionOn, type NodeLog } from "../src/index.js";

const nats = useTestServer();
let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url, name: "mesh-settings test" });
});
afterAll(() => nc?.close());

let n = 0;
const freshMesh = () => `settings${process.pid}-${++n}`;
const quiet: NodeLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

const info = (replicas: number, metadata?: Record<string, string>) =>
  ({ config: { name: "PLEXUS_X", num_replicas: replicas, ...(metadata ? { metadata } : {}) } }) as StreamInfo;

describe("mesh settings", () => {
  it("come from the mesh stream's metadata, else its num_replicas, else 1; a value out of range is not believed", () => {
    expect(meshSettingsOf(undefined)).toEqual({ replicas: 1, source: "default" });
    expect(meshSettingsOf(info(3))).toEqual({ replicas: 3, source: "stream" });
    expect(meshSettingsOf(info(1, { [MESH_REPLICAS_KEY]: "3" }))).toEqual({ replicas: 3, source: "metadata" });
    for (const bad of ["0", "6", "9", "x", "3 ", "-1", ""])
      expect(meshSettingsOf(info(2, { [MESH_REPLICAS_KEY]: bad })), bad).toEqual({ replicas: 2, source: "stream" });
  });

  it("round-trip: none before the mesh exists, the stream's count once an agent made it, then what provisioning wrote", async () => {
    const mesh = freshMesh();
    expect(await readMeshSettings(nc, mesh)).toEqual({ replicas: 1, source: "default" });
    await ensureMeshStream(nc, mesh); // what an agent or node does on an open server: creates, writes no settings
    expect(await readMeshSettings(nc, mesh)).toEqual({ replicas: 1, source: "stream" });
    const jsm = await jetstreamManager(nc);
    const stream = meshSubjects(mesh).stream;
    await jsm.streams.update(stream, { metadata: { "someone.else": "kept" } });
    const done = await provisionOn(nc, mesh, quiet, { replicas: 1 });
    expect(done).toMatchObject({ stream, replicas: 1, changed: [] });
    expect(await readMeshSettings(nc, mesh)).toEqual({ replicas: 1, source: "metadata" });
    expect((await jsm.streams.info(stream)).config.metadata).toMatchObject({
      "someone.else": "kept",
      [MESH_REPLICAS_KEY]: "1",
    });
    // Provisioning again without a count keeps the settings; an agent's ensureMeshStream changes nothing.
    await provisionOn(nc, mesh, quiet);
    await ensureMeshStream(nc, mesh);
    expect(await readMeshSettings(nc, mesh)).toEqual({ replicas: 1, source: "metadata" });
  });

  it("3 replicas on a single server: REPLICAS_UNAVAILABLE, and nothing changed", async () => {
    const mesh = freshMesh();
    await provisionOn(nc, mesh, quiet, { replicas: 1 });
    const err = await provisionOn(nc, mesh, quiet, { replicas: 3 }).catch((e: unknown) => e);
    expect(isPlexusError(err, ErrorCode.ReplicasUnavailable), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot keep 3 replicas: NATS server .* is not part of a JetStream cluster/);
    expect(await readMeshSettings(nc, mesh)).toEqual({ replicas: 1, source: "metadata" });
    // A mesh that does not exist yet is not half-made either.
    const fresh = freshMesh();
    expect(isPlexusError(await provisionOn(nc, fresh, quiet, { replicas: 2 }).catch((e: unknown) => e))).toBe(true);
    expect(await readMeshSettings(nc, fresh)).toEqual({ replicas: 1, source: "default" });
  });

  it("the report lists every stream of the mesh, and warns once per stream below what the settings ask", async () => {
    const mesh = freshMesh();
    await provisionOn(nc, mesh, quiet, { replicas: 1 });
    const ok = await replicationReport(nc, mesh);
    expect(ok.asked).toBe(1);
    expect(ok.warnings).toEqual([]);
    const names = ok.streams.map((s) => s.name);
    expect(names.length).toBeGreaterThanOrEqual(5); // mesh, audit, checkpoints, tiles, heartbeats
    for (const name of names) expect(meshStreamNames(mesh)).toContain(name);
    expect(ok.streams.every((s) => s.replicas === 1 && s.current === 1)).toBe(true);

    // Settings that ask 3 (what a cluster's mesh says) over streams that keep 1: one warning per stream, logged once.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.update(meshSubjects(mesh).stream, { metadata: { [MESH_REPLICAS_KEY]: "3" } });
    const lines: string[] = [];
    const watch = await watchReplication({ nc, mesh, intervalMs: 0, log: (level, l) => lines.push(`${level} ${l}`) });
    try {
      const below = watch.current();
      expect(below?.asked).toBe(3);
      expect(below?.warnings.length).toBe(names.length);
      for (const name of names)
        expect(lines).toContain(`warn replication: stream ${name} keeps 1 of the 3 replicas the mesh asks for`);
      await watch.refresh();
      expect(lines.length).toBe(names.length); // said once, not at every read
    } finally {
      watch.stop();
    }
  });
});
