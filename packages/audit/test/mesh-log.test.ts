import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { useTestServer } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meshLogEnd, readMeshLog } from "../src/store/mesh-log.js";
import { collect, freshMesh } from "./helpers.js";
import { publishEvents } from "./sealing.js";

const nats = useTestServer();
let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
});

describe("mesh log", () => {
  it("reads the mesh stream in order as events n = stream sequence, with subject, bytes and store time", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    expect(await meshLogEnd(nc, mesh)).toBe(0);
    expect(await collect(readMeshLog(nc, mesh, 1))).toEqual([]);
    const before = Date.now();
    await publishEvents(nc, mesh, 25);
    expect(await meshLogEnd(nc, mesh)).toBe(25);
    const events = await collect(readMeshLog(nc, mesh, 1));
    expect(events.map((e) => e.n)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(events[0]).toMatchObject({ subject: `plexus.${mesh}.acp.topic.load.t0` });
    expect(new TextDecoder().decode(events[24]!.data)).toBe('{"i":24}');
    expect(events[0]!.storedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(events[0]!.storedAt).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it("reads a range, and stops at the end of the log as of the call", async () => {
    const mesh = freshMesh();
    await ensureMeshStream(nc, mesh);
    await publishEvents(nc, mesh, 10);
    expect((await collect(readMeshLog(nc, mesh, 4, 6))).map((e) => e.n)).toEqual([4, 5, 6]);
    expect((await collect(readMeshLog(nc, mesh, 9, 50))).map((e) => e.n)).toEqual([9, 10]);
    expect(await collect(readMeshLog(nc, mesh, 11))).toEqual([]);
    const seen: number[] = [];
    for await (const e of readMeshLog(nc, mesh, 1)) {
      seen.push(e.n);
      if (e.n === 1) await jetstream(nc).publish(`plexus.${mesh}.acp.topic.late.t`, new Uint8Array([1]));
    }
    expect(seen).toHaveLength(10);
    expect(await meshLogEnd(nc, mesh)).toBe(11);
  });
});
