/**
 * The history guard every node runs: a stream that keeps its history passes; one whose settings were weakened, whose
 * history was cut (max_msgs set and taken back off), that was deleted, or that was deleted and created again (same
 * settings, new creation time) is refused with its own code, at start and after a reconnect.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, isPlexusError, type PlexusError } from "@plexus/core";
import { useTestServer } from "../src/index.js";
import { checkHistoryStreams, ensureMeshStream, HistoryAnchors, HistoryGuard, historyStreamNames } from "@plexus/bus";
import { ANCHORS_FILE } from "@plexus/bus/internal";

const nats = useTestServer({ operator: true });
const open: NatsConnection[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const nc of open.splice(0)) await nc.close().catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup(
  mesh: string,
  messages = 3,
): Promise<{ admin: NatsConnection; service: NatsConnection; stream: string }> {
  const admin = await nats.server.auth.connectAdmin(mesh);
  const service = await nats.server.auth.connectService(mesh);
  open.push(admin, service);
  await ensureMeshStream(admin, mesh);
  for (let i = 0; i < messages; i++) await jetstream(admin).publish(`plexus.${mesh}.ops.rejected.x`, `m${i}`);
  return { admin, service, stream: historyStreamNames(mesh).mesh };
}

async function adminUpdate(admin: NatsConnection, stream: string, change: Partial<StreamConfig>): Promise<void> {
  const jsm = await jetstreamManager(admin);
  const { config } = await jsm.streams.info(stream);
  await jsm.streams.update(stream, { ...config, ...change });
}

async function recreate(admin: NatsConnection, mesh: string): Promise<void> {
  await (await jetstreamManager(admin)).streams.delete(historyStreamNames(mesh).mesh);
  await ensureMeshStream(admin, mesh);
}

function codeOf(err: PlexusError | undefined): string | undefined {
  return err?.code;
}

describe("the history guard", () => {
  it("passes a whole stream and remembers its creation time in the node's folder", async () => {
    const { service, stream } = await setup("guard1");
    const dir = await mkdtemp(join(tmpdir(), "plexus-anchors-"));
    dirs.push(dir);
    expect(await checkHistoryStreams(service, [stream], new HistoryAnchors(dir))).toBeUndefined();
    const saved = JSON.parse(await readFile(join(dir, ANCHORS_FILE), "utf8")) as {
      streams: Record<string, { created: string }>;
    };
    const info = await (await jetstreamManager(service)).streams.info(stream);
    expect(saved.streams[stream]?.created).toBe(info.created);
    expect(await checkHistoryStreams(service, [stream], new HistoryAnchors(dir))).toBeUndefined();
  });

  it("refuses weakened settings: HISTORY_STREAM_WEAKENED naming them", async () => {
    const { admin, service, stream } = await setup("guard2");
    await adminUpdate(admin, stream, { max_age: 3_600_000_000_000, max_bytes: 1 << 30 });
    const refusal = await checkHistoryStreams(service, [stream]);
    expect(codeOf(refusal)).toBe(ErrorCode.HistoryStreamWeakened);
    expect(refusal?.message).toMatch(/max_bytes is 1073741824, max_age is 3600s/);
    expect(refusal?.details).toMatchObject({ stream });
  });

  it("refuses a log others write into or that republishes: HISTORY_STREAM_WEAKENED", async () => {
    const { admin, service, stream } = await setup("guard2b");
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: "GUARD2B_ELSEWHERE", subjects: ["elsewhere.guard2b.>"] });
    await adminUpdate(admin, stream, {
      sources: [{ name: "GUARD2B_ELSEWHERE" }],
      republish: { src: ">", dest: "copy.guard2b.>" },
    });
    const refusal = await checkHistoryStreams(service, [stream]);
    expect(codeOf(refusal)).toBe(ErrorCode.HistoryStreamWeakened);
    expect(refusal?.message).toMatch(/it sources GUARD2B_ELSEWHERE, it republishes its messages/);
  });

  it("refuses a stream whose history was cut, even with the limit taken back off: HISTORY_STREAM_TRUNCATED", async () => {
    const { admin, service, stream } = await setup("guard3", 5);
    await adminUpdate(admin, stream, { max_msgs: 2 });
    await adminUpdate(admin, stream, { max_msgs: -1 });
    const refusal = await checkHistoryStreams(service, [stream]);
    expect(codeOf(refusal)).toBe(ErrorCode.HistoryStreamTruncated);
    expect(refusal?.message).toMatch(/first message is sequence 4: 3 earlier messages are gone/);
  });

  it("refuses a stream deleted and created again (same settings, new creation time): HISTORY_STREAM_RECREATED, across restarts", async () => {
    const { admin, service, stream } = await setup("guard4");
    const dir = await mkdtemp(join(tmpdir(), "plexus-anchors-"));
    dirs.push(dir);
    expect(await checkHistoryStreams(service, [stream], new HistoryAnchors(dir))).toBeUndefined();
    await recreate(admin, "guard4");
    // A node starting again on the same folder (new anchors object, the file read back).
    const refusal = await checkHistoryStreams(service, [stream], new HistoryAnchors(dir));
    expect(codeOf(refusal)).toBe(ErrorCode.HistoryStreamRecreated);
    expect(refusal?.message).toContain(join(dir, ANCHORS_FILE));
    // A node that has not seen it before trusts it (first sight).
    expect(await checkHistoryStreams(service, [stream])).toBeUndefined();
  });

  it("refuses a missing stream: HISTORY_STREAM_MISSING", async () => {
    const { admin, service, stream } = await setup("guard5");
    await (await jetstreamManager(admin)).streams.delete(stream);
    expect(codeOf(await checkHistoryStreams(service, [stream]))).toBe(ErrorCode.HistoryStreamMissing);
  });

  it("checks again after a reconnect and reports a stream replaced meanwhile, once; the refusal stays", async () => {
    const { admin, service, stream } = await setup("guard6");
    const refused: PlexusError[] = [];
    const guard = new HistoryGuard({
      nc: service,
      streams: [stream],
      intervalMs: 0,
      onRefused: (r) => refused.push(r),
    });
    expect(await guard.start()).toBeUndefined();
    await recreate(admin, "guard6");
    // Still connected, no interval: nothing checked yet.
    expect(guard.refusal).toBeUndefined();
    await service.reconnect();
    await expect.poll(() => refused.length, { timeout: 10_000 }).toBe(1);
    expect(isPlexusError(refused[0], ErrorCode.HistoryStreamRecreated)).toBe(true);
    expect(guard.refusal).toBe(refused[0]);
    expect(await guard.check()).toBe(refused[0]);
    guard.stop();
  });

  it("checks again every intervalMs", async () => {
    const { admin, service, stream } = await setup("guard7");
    const refused: PlexusError[] = [];
    const guard = new HistoryGuard({
      nc: service,
      streams: [stream],
      intervalMs: 100,
      onRefused: (r) => refused.push(r),
    });
    expect(await guard.start()).toBeUndefined();
    await adminUpdate(admin, stream, { max_msgs: 1 });
    await expect.poll(() => refused.map((r) => r.code), { timeout: 10_000 }).toEqual([ErrorCode.HistoryStreamWeakened]);
    guard.stop();
  });
});
