/**
 * `plexus audit seal` as users run it (issue 13, findings 2 and 4): sealers as child processes against a real
 * nats-server in operator mode, holding the mesh's service creds (--nats-auth); the test plays the operator with the
 * admin creds.
 * - Two sealers on one mesh, the writer SIGKILLed while events stream in: the other takes over, the chain verifies,
 *   every position is sealed exactly once.
 * - The mesh log recreated under a running sealer: within 5 s `audit status` names it stalled with the reason and its
 *   /readyz answers 503; it says so on stderr at error; `audit verify` exits 4 ("SEALER STALLED"), not 0.
 * - Nothing sealing while a record claims all is well: `audit status` says STALLED from the chain, `audit verify
 *   --stall-after` exits 4, and with --signer a record signed by another key is marked and not believed.
 * - `registry start` runs a sealer (not with --no-sealer), and its /readyz answers for it.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ensureAuditStreams } from "@plexus/audit";
import { auditStreamNames, openSealerBucket, signPresence } from "@plexus/audit/internal";
import { ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, firstJson, stderrJson, type Scope } from "./cli-process.js";

const nats = useTestServer({ operator: true });
const { scope } = cliScopes("seal", () => nats.url);

async function operatorScope(): Promise<Scope & { auth: string[]; admin: NatsConnection }> {
  const s = scope();
  await nats.server.auth.mesh(s.mesh);
  const admin = await nats.server.auth.connectAdmin(s.mesh);
  await ensureMeshStream(admin, s.mesh);
  return { ...s, auth: ["--nats-auth", nats.server.auth.authDir], admin };
}

/** `count` events one after the other, `from` on (the same numbers give the same events). */
async function publish(nc: NatsConnection, mesh: string, from: number, count: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = from; i < from + count; i++)
    await js.publish(`plexus.${mesh}.acp.topic.load.t${i % 3}`, new TextEncoder().encode(`{"i":${i}}`));
}

async function chainState(
  nc: NatsConnection,
  mesh: string,
): Promise<{ messages: number; first: number; last: number }> {
  const info = await (await jetstreamManager(nc)).streams.info(auditStreamNames(mesh).chainStream);
  return { messages: info.state.messages, first: info.state.first_seq, last: info.state.last_seq };
}

type SealInfo = { sealer: string; role: string; state: string; http: string | null };
type StatusJson = {
  head: { size: number };
  lag: number;
  stalled: boolean;
  stalledReasons: string[];
  sealers: { id: string; role: string; state: string; live: boolean; problem?: { code: string; reason: string } }[];
};

describe("plexus audit seal", { timeout: 120_000 }, () => {
  it("two sealers on one mesh, the writer SIGKILLed mid-stream: the other takes over, the chain verifies, no position sealed twice", async () => {
    const s = await operatorScope();
    const { run, start, reap } = cli();
    try {
      const a = start(
        s.args("audit", "seal", "--id", "a", "--data", "off", "--http", "127.0.0.1:0", "--json", ...s.auth),
      );
      const aInfo = await firstJson<SealInfo>(a);
      expect(aInfo).toMatchObject({ sealer: "a", role: "active" });
      const b = start(
        s.args("audit", "seal", "--id", "b", "--data", "off", "--http", "127.0.0.1:0", "--json", ...s.auth),
      );
      const bInfo = await firstJson<SealInfo>(b);
      expect(bInfo).toMatchObject({ sealer: "b", role: "standby", state: "standby" });

      const status = async () =>
        JSON.parse((await run([...s.args("audit", "status", "--json"), ...s.auth], 30_000)).stdout) as StatusJson;
      await publish(s.admin, s.mesh, 0, 300);
      await expect.poll(async () => (await status()).head.size, { timeout: 15_000, interval: 250 }).toBe(300);
      expect((await status()).sealers.map((x) => `${x.id}:${x.role}`).sort()).toEqual(["a:active", "b:standby"]);

      // Events keep coming while the writer dies.
      const streaming = publish(s.admin, s.mesh, 300, 1_700);
      await expect
        .poll(async () => (await chainState(s.admin, s.mesh)).last, { timeout: 15_000, interval: 50 })
        .toBeGreaterThan(500);
      a.child.kill("SIGKILL");
      const killed = Date.now();
      const headAtKill = (await chainState(s.admin, s.mesh)).last;
      await streaming;
      await expect
        .poll(async () => (await chainState(s.admin, s.mesh)).last, { timeout: 30_000, interval: 100 })
        .toBe(2_000);
      const tookOver = Date.now() - killed;

      const readyz = await fetch(`${bInfo.http}/readyz`);
      expect(readyz.status).toBe(200);
      // The registry's envelope: the status under data, asOf the position the sealer's chain covers and the time.
      expect(await readyz.json()).toMatchObject({
        data: { id: "b", role: "active", state: "running", head: { size: 2_000 } },
        asOf: { seq: 2_000, at: expect.any(Number) },
      });
      const v1Status = (await (await fetch(`${bInfo.http}/v1/status`)).json()) as {
        data: { id: string };
        asOf: { seq: number };
      };
      expect(v1Status).toMatchObject({ data: { id: "b", head: { size: 2_000 } }, asOf: { seq: 2_000 } });
      // Every position exactly once: the chain stream holds one message per position, 1…2000, nothing deleted.
      expect(await chainState(s.admin, s.mesh)).toEqual({ messages: 2_000, first: 1, last: 2_000 });
      const verify = await run([...s.args("audit", "verify", "--json"), ...s.auth], 30_000);
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({
        ok: true,
        verified: 2_000,
        head: { size: 2_000 },
        sealers: { stalled: false },
      });
      b.child.kill("SIGINT");
      expect((await b.exited).code).toBe(0);
      console.log(
        `writer killed at chain size ${headAtKill}; the standby sealed the rest (to 2000) ${tookOver} ms after the kill`,
      );
    } finally {
      await reap();
      await s.admin.close();
    }
  });

  it("the mesh log recreated under a running sealer: stalled with the reason in audit status and /readyz within 5 s, an error on stderr, verify exits 4", async () => {
    const s = await operatorScope();
    const { run, start, reap } = cli();
    try {
      await publish(s.admin, s.mesh, 0, 10);
      const sealer = start(
        s.args("audit", "seal", "--id", "solo", "--data", "off", "--http", "127.0.0.1:0", "--json", ...s.auth),
      );
      const info = await firstJson<SealInfo>(sealer);
      const status = async () =>
        JSON.parse((await run([...s.args("audit", "status", "--json"), ...s.auth], 30_000)).stdout) as StatusJson;
      await expect.poll(async () => (await status()).head.size, { timeout: 15_000, interval: 250 }).toBe(10);
      expect((await run([...s.args("audit", "verify"), ...s.auth], 30_000)).code).toBe(0);

      const jsm = await jetstreamManager(s.admin);
      const stream = meshSubjects(s.mesh).stream;
      const { config } = await jsm.streams.info(stream);
      const started = Date.now();
      await jsm.streams.delete(stream);
      await jsm.streams.add(config);
      await publish(s.admin, s.mesh, 0, 30);

      await expect
        .poll(async () => (await fetch(`${info.http}/readyz`)).status, { timeout: 5_000, interval: 100 })
        .toBe(503);
      const readyzMs = Date.now() - started;
      const st = await status();
      // /readyz within the 5 s bound above; how long status took is reported (a child process on a shared machine).
      const statusMs = Date.now() - started;
      expect(st).toMatchObject({ stalled: true, head: { size: 10 }, lag: 20 });
      expect(st.sealers[0]).toMatchObject({
        id: "solo",
        role: "active",
        state: "refused",
        live: true,
        problem: { code: expect.stringMatching(/^HISTORY_STREAM_(RECREATED|MISSING)$/) },
      });
      expect(st.stalledReasons.join("\n")).toMatch(/sealer solo .* is refused: .*HISTORY_STREAM_/);
      const body = (await (await fetch(`${info.http}/readyz`)).json()) as {
        data: { state: string; problem?: { code: string } };
      };
      expect(body).toMatchObject({
        data: { state: "refused", problem: { code: expect.stringMatching(/^HISTORY_STREAM_/) } },
        asOf: { seq: 10 },
      });
      await sealer.waitFor('{"error":{"code":"FAILED","message":"audit sealer: history stream', 5_000); // --json: errors it survives as JSON

      const human = await run([...s.args("audit", "status"), ...s.auth], 30_000);
      expect(human.stdout.split("\n")[0]).toMatch(/^STALLED {5}sealer solo .* is refused: /);
      // The chain's 10 links still verify against the (identical) first 10 events, but verify does not say ok.
      const verify = await run([...s.args("audit", "verify", "--json"), ...s.auth], 30_000);
      expect(verify.code, verify.stderr).toBe(4);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, verified: 10, sealers: { stalled: true } });
      expect(stderrJson(verify.stderr)).toContainEqual({
        error: expect.objectContaining({
          code: "AUDIT_SEALER_STALLED",
          message: expect.stringMatching(/^SEALER STALLED: sealer solo/),
        }),
      });
      sealer.child.kill("SIGINT");
      expect((await sealer.exited).code).toBe(0);
      console.log(`recreated mesh log: /readyz 503 after ${readyzMs} ms, audit status stalled after ${statusMs} ms`);
    } finally {
      await reap();
      await s.admin.close();
    }
  });

  it("nothing sealing while records say all is well: status says STALLED from the chain, verify --stall-after exits 4; --signer marks a record by another key as not believed", async () => {
    const s = await operatorScope();
    const { run, reap } = cli();
    try {
      await ensureAuditStreams(s.admin, s.mesh);
      const registry = generateKeyPair();
      const forger = generateKeyPair();
      // A self-signed record claiming to seal, written with the service creds as any gateway could.
      const service = await nats.server.auth.connectService(s.mesh);
      const kv = await openSealerBucket(service, s.mesh);
      const at = Date.now();
      await kv.put(
        "sealer.ghost",
        JSON.stringify(
          signPresence(forger, {
            id: "ghost",
            mesh: s.mesh,
            host: "x",
            pid: 1,
            role: "active",
            state: "running",
            head: { size: 0, hash: "" },
            logEnd: 0,
            lag: 0,
            sealed: 0,
            startedAt: at,
            at,
          }),
        ),
      );
      await service.close();
      await publish(s.admin, s.mesh, 0, 10);
      await new Promise((r) => setTimeout(r, 1_200));

      const status = await run(
        [...s.args("audit", "status", "--stall-after", "1", "--signer", registry.did), ...s.auth],
        30_000,
      );
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout.split("\n")[0]).toMatch(
        /^STALLED {5}10 events wait to be sealed, the oldest for \d+ s, and the chain's head stays at 0: nothing seals the mesh/,
      );
      expect(status.stdout).toMatch(
        /ghost \(x, pid 1\) writes, running; head 0, lag 0 \(NOT BELIEVED: signed by did:key:\S+, not a key you trust\)/,
      );
      const json = JSON.parse(
        (
          await run(
            [...s.args("audit", "status", "--json", "--stall-after", "1", "--signer", registry.did), ...s.auth],
            30_000,
          )
        ).stdout,
      ) as StatusJson & { pinned: string[]; warnings: string[] };
      expect(json).toMatchObject({
        stalled: true,
        lag: 10,
        pinned: [registry.did],
        sealers: [{ id: "ghost", trusted: false }],
      });

      const verify = await run([...s.args("audit", "verify", "--json", "--stall-after", "1"), ...s.auth], 30_000);
      expect(verify.code, verify.stderr).toBe(4);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, verified: 0, sealers: { stalled: true } });
      expect(stderrJson(verify.stderr)).toContainEqual({
        error: expect.objectContaining({
          code: "AUDIT_SEALER_STALLED",
          message: expect.stringMatching(/^SEALER STALLED: 10 events wait to be sealed/),
        }),
      });
      // Within the threshold, the same mesh is not stalled: the events are young enough for a sealer to come. The ghost
      // record goes first: unpinned (no --signer), a fresh record claiming to write is believed, and whether it is still
      // fresh here depends on how long the commands above took.
      const cleaner = await nats.server.auth.connectService(s.mesh);
      await (await openSealerBucket(cleaner, s.mesh)).delete("sealer.ghost");
      await cleaner.close();
      const patient = await run([...s.args("audit", "verify", "--stall-after", "3600"), ...s.auth], 30_000);
      expect(patient.code, patient.stderr).toBe(0);
      expect(patient.stderr).toMatch(/10 events wait to be sealed and no sealer is seen writing/);
      expect((await run([...s.args("audit", "status", "--stall-after", "0"), ...s.auth], 30_000)).code).toBe(2);
    } finally {
      await reap();
      await s.admin.close();
    }
  });

  it("registry start runs a sealer unless --no-sealer; its /readyz names it under components.sealer and answers 503 with the sealer's reason", async () => {
    const s = await operatorScope();
    const { start, reap } = cli();
    try {
      await publish(s.admin, s.mesh, 0, 10);
      const node = start(s.args("registry", "start", "--http", "127.0.0.1:0", "--data", "off", "--json", ...s.auth));
      const info = await firstJson<{ http: string; sealer: string | null }>(node);
      expect(info.sealer).toEqual(expect.any(String));
      const readyz = async () => {
        const r = await fetch(`${info.http}/readyz`);
        return {
          status: r.status,
          body: (
            (await r.json()) as {
              data: {
                ready: boolean;
                components?: {
                  sealer?: {
                    id: string;
                    role: string;
                    state: string;
                    head: { size: number };
                    problem?: { code: string };
                  };
                };
              };
            }
          ).data,
        };
      };
      await expect.poll(async () => (await readyz()).status, { timeout: 20_000, interval: 200 }).toBe(200);
      await expect
        .poll(async () => (await readyz()).body.components?.sealer?.head.size, { timeout: 10_000, interval: 200 })
        .toBe(10);
      expect((await readyz()).body.components?.sealer).toMatchObject({
        id: info.sealer,
        role: "active",
        state: "running",
      });

      const other = start(
        s.args("registry", "start", "--http", "off", "--data", "off", "--no-sealer", "--json", ...s.auth),
      );
      expect(await firstJson<{ sealer: string | null }>(other)).toMatchObject({ sealer: null });
      other.child.kill("SIGINT");
      expect((await other.exited).code).toBe(0);

      const jsm = await jetstreamManager(s.admin);
      const stream = meshSubjects(s.mesh).stream;
      const { config } = await jsm.streams.info(stream);
      await jsm.streams.delete(stream);
      await jsm.streams.add(config);
      await publish(s.admin, s.mesh, 0, 12);
      await expect.poll(async () => (await readyz()).status, { timeout: 5_000, interval: 100 }).toBe(503);
      expect((await readyz()).body).toMatchObject({
        ready: false,
        components: { sealer: { state: "refused", problem: { code: expect.stringMatching(/^HISTORY_STREAM_/) } } },
      });
      await node.waitFor('"message":"audit sealer: history stream', 5_000);
      node.child.kill("SIGINT");
      expect((await node.exited).code).toBe(0);
    } finally {
      await reap();
      await s.admin.close();
    }
  });
});
