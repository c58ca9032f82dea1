/**
 * A registry node refuses a mesh log it cannot trust (issue 11, finding 4): started on a mesh whose stream was deleted
 * and created again (its data folder remembers the old creation time) or weakened, or seeing the log cut while it
 * runs, it reports not ready, /readyz 503 with the reason and the stable code, says so through onRefused, and stops
 * following the log. Real nats-server in operator mode; the node holds the service creds, the test the admin creds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { ANCHORS_FILE } from "@plexus/bus/internal";
import { ErrorCode, meshSubjects, type PlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { startRegistryNode, type RegistryNode, type RegistryNodeOptions } from "../src/index.js";
import { freshMesh } from "./fixtures.js";

const nats = useTestServer({ operator: true });
const nodes: RegistryNode[] = [];
const conns: NatsConnection[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.allSettled(nodes.splice(0).map((n) => n.stop()));
});
afterAll(async () => {
  await Promise.allSettled(conns.splice(0).map((c) => c.close()));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function node(
  mesh: string,
  options: Partial<RegistryNodeOptions> = {},
): Promise<{ node: RegistryNode; refused: PlexusError[] }> {
  const refused: PlexusError[] = [];
  const n = await startRegistryNode({
    nats: nats.url,
    mesh,
    key: generateKeyPair(),
    http: { host: "127.0.0.1", port: 0 },
    refreshMs: 0,
    natsAuth: await nats.server.auth.mesh(mesh),
    onRefused: (r) => refused.push(r),
    ...options,
  });
  nodes.push(n);
  return { node: n, refused };
}

async function admin(mesh: string): Promise<NatsConnection> {
  const nc = await nats.server.auth.connectAdmin(mesh);
  conns.push(nc);
  return nc;
}

async function readyz(
  n: RegistryNode,
): Promise<{ status: number; body: { ready: boolean; refused?: { code: string; stream: string; reason: string } } }> {
  const r = await fetch(`${n.httpUrl}/readyz`);
  return { status: r.status, body: ((await r.json()) as { data: never }).data };
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "plexus-registry-guard-"));
  dirs.push(d);
  return d;
}

async function update(nc: NatsConnection, stream: string, change: Partial<StreamConfig>): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(stream);
  await jsm.streams.update(stream, { ...config, ...change });
}

describe("a registry node and its mesh log", () => {
  it("is ready on a whole log it has not seen before", async () => {
    const { node: n, refused } = await node(freshMesh(), { dataDir: await tempDir() });
    expect(n.ready).toBe(true);
    expect((await readyz(n)).status).toBe(200);
    expect(refused).toEqual([]);
  });

  it("started again on a log deleted and created again: not ready, 503 HISTORY_STREAM_RECREATED", async () => {
    const mesh = freshMesh();
    const dataDir = await tempDir();
    const first = await node(mesh, { dataDir });
    expect(first.node.ready).toBe(true);
    await first.node.stop();
    const a = await admin(mesh);
    await (await jetstreamManager(a)).streams.delete(meshSubjects(mesh).stream);
    await ensureMeshStream(a, mesh);

    const { node: n, refused } = await node(mesh, { dataDir });
    expect(n.ready).toBe(false);
    expect(refused.map((r) => r.code)).toEqual([ErrorCode.HistoryStreamRecreated]);
    const r = await readyz(n);
    expect(r.status).toBe(503);
    expect(r.body.ready).toBe(false);
    expect(r.body.refused).toMatchObject({ code: ErrorCode.HistoryStreamRecreated, stream: meshSubjects(mesh).stream });
    expect(r.body.refused?.reason).toMatch(/deleted and created again/);
  });

  it("a data folder from before anchors (a snapshot, no anchor file): the snapshot's stream is the anchor", async () => {
    const mesh = freshMesh();
    const dataDir = await tempDir();
    const first = await node(mesh, { dataDir });
    await jetstream(await admin(mesh)).publish(`plexus.${mesh}.ops.rejected.x`, "so the snapshot has something");
    await first.node.waitFor(1);
    await first.node.stop(); // writes the snapshot
    await rm(join(dataDir, ANCHORS_FILE));
    const a = await admin(mesh);
    await (await jetstreamManager(a)).streams.delete(meshSubjects(mesh).stream);
    await ensureMeshStream(a, mesh);
    const { node: n } = await node(mesh, { dataDir });
    expect((await readyz(n)).body.refused?.code).toBe(ErrorCode.HistoryStreamRecreated);
  });

  it("started on a weakened log: not ready, 503 HISTORY_STREAM_WEAKENED naming the setting", async () => {
    const mesh = freshMesh();
    const a = await admin(mesh);
    await ensureMeshStream(a, mesh);
    await update(a, meshSubjects(mesh).stream, { max_msgs: 1_000 });
    const { node: n } = await node(mesh);
    const r = await readyz(n);
    expect(r.status).toBe(503);
    expect(r.body.refused).toMatchObject({ code: ErrorCode.HistoryStreamWeakened, reason: "max_msgs is 1000" });
  });

  it("running, sees its log cut (max_msgs set and taken off): turns not ready with HISTORY_STREAM_TRUNCATED and stops following", async () => {
    const mesh = freshMesh();
    const { node: n, refused } = await node(mesh, { historyCheckMs: 100 });
    expect(n.ready).toBe(true);
    const a = await admin(mesh);
    const js = jetstream(a);
    for (let i = 0; i < 5; i++) await js.publish(`plexus.${mesh}.ops.rejected.x`, `m${i}`);
    const stream = meshSubjects(mesh).stream;
    await update(a, stream, { max_msgs: 2 });
    await update(a, stream, { max_msgs: -1 });
    await expect.poll(() => refused.length, { timeout: 10_000 }).toBeGreaterThan(0);
    // Weakened (caught between the two updates) or truncated (caught after): either way refused, once.
    expect([ErrorCode.HistoryStreamWeakened, ErrorCode.HistoryStreamTruncated]).toContain(refused[0]!.code);
    expect(refused).toHaveLength(1);
    expect(n.ready).toBe(false);
    const r = await readyz(n);
    expect(r.status).toBe(503);
    expect(r.body.refused?.code).toBe(refused[0]!.code);
    // The log is no longer followed: a new event is not applied.
    const at = n.state.seq;
    await js.publish(`plexus.${mesh}.ops.rejected.x`, "after");
    await expect(n.waitFor(at + 1, 1_000)).rejects.toMatchObject({ code: ErrorCode.Timeout });
  });
});
