/**
 * startWitnessProcess as compose or a test calls it (the CLI's flags, lines and exit codes are
 * nodes/cli/test/audit-witness-cli.test.ts): one round with `once`, a loop that cosigns each new checkpoint until
 * stop(), the rounds reported through onCheck and the lines through the log, and a state of another witness refused
 * before anything runs (INVALID_ARGUMENT). A real nats-server and sealer.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openJetStreamAuditStore, startSealer, type AuditStore } from "@plexus/audit";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { startWitnessProcess, type WitnessCheck, type WitnessProcessOptions } from "../src/index.js";

const nats = useTestServer();
const mesh = `witstart${process.pid}`;
let root: string;
let nc: NatsConnection;
let store: AuditStore;
let registry: KeyPair;
let published = 0;

async function publishAndSeal(count: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < count; i++)
    await js.publish(
      `plexus.${mesh}.acp.topic.load.t${published++ % 3}`,
      new TextEncoder().encode(`{"i":${published}}`),
    );
  const own = await openJetStreamAuditStore({ nc, mesh });
  const sealer = await startSealer({
    nc,
    mesh,
    store: own,
    key: registry,
    checkpointEvery: 1_000,
    checkpointIntervalMs: 60_000,
  });
  await sealer.caughtUp();
  await sealer.stop();
  await own.close();
}

function collect(): {
  lines: string[];
  checks: WitnessCheck[];
  options: Pick<WitnessProcessOptions, "log" | "onCheck">;
} {
  const lines: string[] = [];
  const checks: WitnessCheck[] = [];
  const log = {
    info: (l: string) => lines.push(`info ${l}`),
    warn: (l: string) => lines.push(`warn ${l}`),
    error: (l: string) => lines.push(`error ${l}`),
  };
  return { lines, checks, options: { log, onCheck: (c) => checks.push(c) } };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "plexus-witness-start-"));
  nc = await connectBus({ servers: nats.url });
  registry = generateKeyPair();
  await ensureMeshStream(nc, mesh);
  await publishAndSeal(20);
  store = await openJetStreamAuditStore({ nc, mesh });
});
afterAll(async () => {
  await store?.close();
  await nc?.close();
  await rm(root, { recursive: true, force: true });
});

describe("startWitnessProcess", () => {
  const key = generateKeyPair();
  const dir = () => join(root, "alice");

  it("once: one round, reported through onCheck, the state saved; without signers it warns and pins the signer", async () => {
    const c = collect();
    const running = await startWitnessProcess({
      nc,
      store,
      mesh,
      name: "alice",
      key,
      dir: dir(),
      once: true,
      ...c.options,
    });
    expect(await running.done).toEqual({ ok: true });
    expect(c.checks.map((k) => [k.size, k.advanced, k.none])).toEqual([[20, true, false]]);
    expect(c.lines).toEqual([
      expect.stringMatching(/^warn no --signer: trusting the log key .*\(pinned in .*state\.json/),
    ]);
    expect(JSON.parse(await readFile(running.file, "utf8"))).toMatchObject({
      size: 20,
      did: key.did,
      logKeys: [registry.did],
    });
  });

  it("a state of another witness is INVALID_ARGUMENT before any round", async () => {
    const c = collect();
    const err = await startWitnessProcess({
      nc,
      store,
      mesh,
      name: "alice",
      key: generateKeyPair(),
      dir: dir(),
      ...c.options,
    }).catch((e: unknown) => e);
    expect(isPlexusError(err, ErrorCode.InvalidArgument), String(err)).toBe(true);
    const pinned = await startWitnessProcess({
      nc,
      store,
      mesh,
      name: "alice",
      key,
      dir: dir(),
      signers: [generateKeyPair().did],
      ...c.options,
    }).catch((e: unknown) => e);
    expect(isPlexusError(pinned, ErrorCode.InvalidArgument), String(pinned)).toBe(true);
    expect(c.checks).toEqual([]);
  });

  it("following: cosigns each new checkpoint until stop(), which ends the loop with ok", async () => {
    const c = collect();
    const advanced = new Promise<void>((resolve) => {
      c.options.onCheck = (k) => {
        c.checks.push(k);
        if (k.advanced) resolve();
      };
    });
    const running = await startWitnessProcess({
      nc,
      store,
      mesh,
      name: "alice",
      key,
      dir: dir(),
      signers: [registry.did],
      intervalMs: 50,
      ...c.options,
    });
    await publishAndSeal(5);
    await advanced;
    expect(await running.stop()).toEqual({ ok: true });
    expect(c.checks.filter((k) => k.advanced).map((k) => k.size)).toEqual([25]);
    expect(c.checks.every((k) => k.size === 20 || k.size === 25)).toBe(true);
    expect(JSON.parse(await readFile(running.file, "utf8"))).toMatchObject({ size: 25 });
  });
});
