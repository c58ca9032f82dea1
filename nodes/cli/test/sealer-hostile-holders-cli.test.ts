/**
 * Sealers against hostile holders of the mesh's service credentials, CLI paths (found by an adversarial review of
 * issue 13; each kept as a test of the property it broke). Real nats-server, operator mode.
 *
 * - C1: an unsigned presence record missing fields (`{"id":"junk"}`) in the sealers bucket: `plexus audit status`
 *   (human and --json) lists it as not believed instead of dying with a TypeError.
 * - C2: a genuine old checkpoint republished once: `plexus audit verify --signer` still exits 0 on a healthy mesh.
 * - C3: a checkpoint signed by the attacker's own key (a valid note, a huge size): a pinned witness passes it over and
 *   goes on witnessing the registry key's checkpoints.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { defaultOrigin, ensureAuditStreams, signCheckpoint, startSealerNode } from "@plexus/audit";
import { auditStreamNames, openSealerBucket } from "@plexus/audit/internal";
import { ensureMeshStream } from "@plexus/bus";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, type Scope } from "./cli-process.js";

const nats = useTestServer({ operator: true });
const { scope } = cliScopes("rvcli", () => nats.url);
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function operatorScope(): Promise<Scope & { auth: string[]; admin: NatsConnection }> {
  const s = scope();
  await nats.server.auth.mesh(s.mesh);
  const admin = await nats.server.auth.connectAdmin(s.mesh);
  closers.push(() => admin.close());
  await ensureMeshStream(admin, s.mesh);
  await ensureAuditStreams(admin, s.mesh);
  return { ...s, auth: ["--nats-auth", nats.server.auth.authDir], admin };
}

async function service(mesh: string): Promise<NatsConnection> {
  const nc = await nats.server.auth.connectService(mesh);
  closers.push(() => nc.close());
  return nc;
}

async function publish(nc: NatsConnection, mesh: string, from: number, count: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = from; i < from + count; i++)
    await js.publish(`plexus.${mesh}.acp.topic.load.t${i % 3}`, new TextEncoder().encode(`{"i":${i}}`));
}

describe("sealers against hostile holders of the service credentials (CLI)", { timeout: 120_000 }, () => {
  it("C1: a presence record without head/host (unsigned junk) must be listed as not believed, not crash `audit status`", async () => {
    const s = await operatorScope();
    const kv = await openSealerBucket(await service(s.mesh), s.mesh);
    await kv.put("sealer.junk", JSON.stringify({ id: "junk" }));
    const { run, reap } = cli();
    try {
      const human = await run([...s.args("audit", "status"), ...s.auth], 30_000);
      const asJson = await run([...s.args("audit", "status", "--json"), ...s.auth], 30_000);
      console.log("C1 stderr:", human.stderr.trim(), "|", asJson.stderr.trim());
      expect({ code: human.code, stderr: human.stderr }).toMatchObject({
        code: 0,
        stderr: expect.not.stringMatching(/TypeError|Cannot read/),
      });
      expect(human.stdout).toMatch(/junk.*not believed/);
      expect(asJson.code).toBe(0);
    } finally {
      reap();
    }
  });

  it("C2: one republished genuine old checkpoint must not make `audit verify --signer` exit 4 on a healthy mesh", async () => {
    const s = await operatorScope();
    const key = generateKeyPair();
    const node = await startSealerNode({
      nc: await service(s.mesh),
      mesh: s.mesh,
      key,
      id: "healthy",
      sealer: { checkpointEvery: 1, checkpointIntervalMs: 100 },
    });
    closers.push(() => node.stop());
    const names = auditStreamNames(s.mesh);
    const jsm = await jetstreamManager(s.admin);
    const sizes = async () => {
      const last = (await jsm.streams.info(names.checkpointStream)).state.last_seq;
      const out: { size: number; data: Uint8Array }[] = [];
      for (let seq = 1; seq <= last; seq++) {
        const m = await jsm.streams.getMessage(names.checkpointStream, { seq });
        if (m)
          out.push({ size: (JSON.parse(new TextDecoder().decode(m.data)) as { size: number }).size, data: m.data });
      }
      return out;
    };
    await publish(s.admin, s.mesh, 0, 5);
    await expect.poll(async () => (await sizes()).some((c) => c.size === 5), { timeout: 10_000 }).toBe(true);
    await publish(s.admin, s.mesh, 5, 5);
    await expect.poll(async () => (await sizes()).some((c) => c.size === 10), { timeout: 10_000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 500));

    const { run, reap } = cli();
    try {
      const verify = () =>
        run([...s.args("audit", "verify", "--signer", key.did, "--stall-after", "1"), ...s.auth], 30_000);
      const before = await verify();
      expect(before.code).toBe(0); // healthy

      // The forger (service creds) copies the genuine checkpoint at 5 to the end of the checkpoint stream, once.
      const old = (await sizes()).find((c) => c.size === 5)!.data;
      await jetstream(await service(s.mesh)).publish(names.checkpointSubject, old);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(node.status()).toMatchObject({ state: "running", ready: true, head: { size: 10 }, lag: 0 });
      const after = await verify();
      console.log("C2 after:", after.code, after.stdout.trim(), after.stderr.trim());
      expect(after.code).toBe(0);
    } finally {
      reap();
    }
  });

  it("C3: one self-signed checkpoint by the forger must not stop a pinned witness", async () => {
    const s = await operatorScope();
    const key = generateKeyPair();
    const node = await startSealerNode({
      nc: await service(s.mesh),
      mesh: s.mesh,
      key,
      id: "healthy",
      sealer: { checkpointEvery: 1, checkpointIntervalMs: 100 },
    });
    closers.push(() => node.stop());
    await publish(s.admin, s.mesh, 0, 5);
    await expect.poll(() => node.status().head.size, { timeout: 10_000 }).toBe(5);
    await new Promise((r) => setTimeout(r, 500));
    const { run, reap } = cli();
    try {
      const witness = () =>
        run([...s.args("audit", "witness", "--as", "w1", "--once", "--signer", key.did), ...s.auth], 30_000);
      expect((await witness()).code).toBe(0);

      // The forger's checkpoint: its own key, a valid note for the mesh's origin, a size no genuine one will reach.
      const forged = signCheckpoint(
        generateKeyPair(),
        { size: 1_000_000_000, head: "0".repeat(64), at: Date.now() },
        { origin: defaultOrigin(s.mesh), root: new Uint8Array(32) },
      );
      await jetstream(await service(s.mesh)).publish(
        auditStreamNames(s.mesh).checkpointSubject,
        new TextEncoder().encode(JSON.stringify(forged)),
      );

      // The mesh goes on, healthy: more events, sealed and signed by the registry key.
      await publish(s.admin, s.mesh, 5, 5);
      await expect.poll(() => node.status().head.size, { timeout: 10_000 }).toBe(10);
      await new Promise((r) => setTimeout(r, 500));
      const after = await witness();
      console.log("C3 after:", after.code, after.stderr.trim());
      expect(after.code).toBe(0);
    } finally {
      reap();
    }
  });
});
