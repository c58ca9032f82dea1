/**
 * The gateway checks the mesh log like every node (issue 11, finding 4). In operator mode with the service creds: a
 * gateway refuses to start on a weakened log (HISTORY_STREAM_WEAKENED), and a running gateway whose log is deleted and
 * created again reports it through onError and answers every HTTP request 503 with the code from then on.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { ErrorCode, meshSubjects, type PlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { startGateway, type A2AGateway } from "@plexus/a2a";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function admin(mesh: string): Promise<NatsConnection> {
  const nc = await nats.server.auth.connectAdmin(mesh);
  closers.push(() => nc.close());
  return nc;
}

async function gateway(mesh: string, errors: unknown[], historyCheckMs?: number): Promise<A2AGateway> {
  const auth = await nats.server.auth.mesh(mesh);
  const gw = await startGateway({
    nats: nats.url,
    credentials: { creds: auth.serviceCreds },
    mesh,
    key: generateKeyPair(),
    http: { host: "127.0.0.1", port: 0 },
    onError: (e) => errors.push(e),
    ...(historyCheckMs !== undefined ? { historyCheckMs } : {}),
  });
  closers.push(() => gw.stop());
  return gw;
}

describe("the A2A gateway and its mesh log", () => {
  it("does not start on a weakened log: HISTORY_STREAM_WEAKENED", async () => {
    const mesh = "gwweak";
    const a = await admin(mesh);
    await ensureMeshStream(a, mesh);
    const jsm = await jetstreamManager(a);
    const { config } = await jsm.streams.info(meshSubjects(mesh).stream);
    await jsm.streams.update(config.name, { ...config, max_msgs_per_subject: 10 });
    await expect(gateway(mesh, [])).rejects.toMatchObject({
      code: ErrorCode.HistoryStreamWeakened,
      details: { reason: "max_msgs_per_subject is 10" },
    });
  });

  it("running with the service creds, sees its log recreated: reports it and answers 503 with the code", async () => {
    const mesh = "gwrecreated";
    const errors: unknown[] = [];
    const gw = await gateway(mesh, errors, 100);
    // Before: the app answers (an unknown path is its 404).
    expect((await fetch(`${gw.url}/no-such-path`)).status).toBe(404);
    const a = await admin(mesh);
    await (await jetstreamManager(a)).streams.delete(meshSubjects(mesh).stream);
    await ensureMeshStream(a, mesh);
    await expect.poll(() => gw.refusal?.code, { timeout: 10_000 }).toBe(ErrorCode.HistoryStreamRecreated);
    expect(errors.filter((e) => (e as PlexusError).code?.startsWith("HISTORY_STREAM_"))).toHaveLength(1);
    const r = await fetch(`${gw.url}/no-such-path`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.HistoryStreamRecreated);
  });
});
