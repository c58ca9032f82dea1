/**
 * The sealer refuses history streams it cannot trust (issue 11, finding 4). Without this, a sealer restarted on an
 * audit chain deleted and created again would seal the whole log anew from position 1, as if the old chain had never
 * been. Real nats-server in operator mode: the sealer holds the service creds (and seals with them), the test the
 * admin creds.
 */
import { jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMeshStream } from "@plexus/bus";
import { ErrorCode, meshSubjects, type PlexusError } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { ensureAuditStreams, openJetStreamAuditStore } from "../src/index.js";
import { auditStreamNames } from "../src/internal.js";
import { startSealer, type Sealer } from "../src/sealer/sealer.js";
import { freshMesh, tempDir } from "./helpers.js";
import { publishEvents } from "./sealing.js";

const nats = useTestServer({ operator: true });
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function conn(kind: "service" | "admin", mesh: string): Promise<NatsConnection> {
  const nc = kind === "admin" ? await nats.server.auth.connectAdmin(mesh) : await nats.server.auth.connectService(mesh);
  closers.push(() => nc.close());
  return nc;
}

async function seal(
  mesh: string,
  options: { historyDir?: string; historyCheckMs?: number } = {},
): Promise<{ sealer: Sealer; errors: unknown[] }> {
  const nc = await conn("service", mesh);
  const store = await openJetStreamAuditStore({ nc, mesh });
  const errors: unknown[] = [];
  const sealer = await startSealer({
    nc,
    mesh,
    store,
    key: generateKeyPair(),
    onError: (e) => errors.push(e),
    ...options,
  });
  closers.push(() => sealer.stop());
  return { sealer, errors };
}

async function update(nc: NatsConnection, stream: string, change: Partial<StreamConfig>): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(stream);
  await jsm.streams.update(stream, { ...config, ...change });
}

const codes = (errors: unknown[]) => errors.map((e) => (e as PlexusError).code);

describe("a sealer and the history streams", () => {
  it("seals with the service creds; restarted on an audit chain deleted and created again, refuses: HISTORY_STREAM_RECREATED", async () => {
    const mesh = freshMesh();
    const dir = await tempDir();
    closers.push(() => dir.cleanup());
    const admin = await conn("admin", mesh);
    await ensureMeshStream(admin, mesh);
    await ensureAuditStreams(admin, mesh);
    await publishEvents(admin, mesh, 20);
    const first = await seal(mesh, { historyDir: dir.path });
    await first.sealer.caughtUp();
    expect(first.sealer.stats()).toMatchObject({ state: "running", head: { size: 20 } });
    await first.sealer.stop();

    const chain = auditStreamNames(mesh).chainStream;
    await (await jetstreamManager(admin)).streams.delete(chain);
    await ensureAuditStreams(admin, mesh);
    const { sealer, errors } = await seal(mesh, { historyDir: dir.path });
    expect(sealer.stats()).toMatchObject({
      state: "refused",
      refusal: { code: ErrorCode.HistoryStreamRecreated, stream: chain },
    });
    expect(codes(errors)).toEqual([ErrorCode.HistoryStreamRecreated]);
    await expect(sealer.caughtUp()).rejects.toMatchObject({ code: ErrorCode.HistoryStreamRecreated });
    // Nothing was sealed into the new chain.
    expect((await (await jetstreamManager(admin)).streams.info(chain)).state.messages).toBe(0);
  });

  it("started on a weakened mesh log, refuses: HISTORY_STREAM_WEAKENED", async () => {
    const mesh = freshMesh();
    const admin = await conn("admin", mesh);
    await ensureMeshStream(admin, mesh);
    await update(admin, meshSubjects(mesh).stream, { max_age: 3_600_000_000_000 });
    const { sealer, errors } = await seal(mesh);
    expect(sealer.stats()).toMatchObject({
      state: "refused",
      refusal: { code: ErrorCode.HistoryStreamWeakened, reason: "max_age is 3600s" },
    });
    expect(codes(errors)).toEqual([ErrorCode.HistoryStreamWeakened]);
  });

  it("running, sees the audit chain cut, stops in state refused: HISTORY_STREAM_WEAKENED or _TRUNCATED", async () => {
    const mesh = freshMesh();
    const admin = await conn("admin", mesh);
    await ensureMeshStream(admin, mesh);
    await ensureAuditStreams(admin, mesh);
    const { sealer, errors } = await seal(mesh, { historyCheckMs: 100 });
    await publishEvents(admin, mesh, 5);
    await sealer.caughtUp();
    const stream = auditStreamNames(mesh).chainStream;
    await update(admin, stream, { max_msgs: 2 });
    await update(admin, stream, { max_msgs: -1 });
    await expect.poll(() => sealer.stats().state, { timeout: 10_000 }).toBe("refused");
    expect([ErrorCode.HistoryStreamWeakened, ErrorCode.HistoryStreamTruncated]).toContain(sealer.stats().refusal?.code);
    expect(codes(errors).filter((c) => c?.startsWith("HISTORY_STREAM_"))).toHaveLength(1);
  });
});
