/**
 * `plexus up` against an ordinary member gone hostile (its own key and user JWT, operator mode): hostile messages at
 * the A2A gateway's inbox and reply subjects, at the registry's request subjects, and junk on its own record subjects.
 * The issue this answers: 31 messages nested ~6,000 deep took down the whole of `plexus up` in ~60 ms, and it crashed
 * again on restart over the same data. Here every process stays up, the mesh still serves, the listings still work;
 * and `plexus up` restarted on that data starts and serves.
 */
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectBus, ensureMeshAuth, issueAgentUser, userSeedOf } from "@plexus/bus";
import { agentInboxPrefix } from "@plexus/bus/internal";
import { agentToken, Defaults, MessageKind, meshSubjects, newId } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import { hostileMessages, junkRecords } from "@plexus/testing/internal";
import { cli, cliScopes, firstJson, json } from "./cli-process.js";

const { scope } = cliScopes("uphostile", () => "nats://127.0.0.1:1");
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

interface UpInfo {
  nats: string;
  registry: string;
  http: string;
  gateway: string;
  a2a: string;
  auth: string;
}

describe(`plexus up with a hostile member (seed ${seed})`, () => {
  it("stays up through hostile messages at the gateway, the registry and the record subjects, and restarts on that data", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    const upArgs = [
      "up",
      "--data",
      join(s.dir, "data"),
      "--nats-port",
      "0",
      "--http",
      "127.0.0.1:0",
      "--gateway-http",
      "127.0.0.1:0",
      "--mesh",
      s.mesh,
      "--keys",
      s.keys,
      "--json",
    ];
    try {
      let up = start(upArgs);
      const info = await firstJson<UpInfo>(up);
      const subjects = meshSubjects(s.mesh);

      // The hostile member: an ordinary agent user of the mesh's account.
      const key = generateKeyPair();
      const auth = await ensureMeshAuth(info.auth, s.mesh);
      const grant = await issueAgentUser({ mesh: s.mesh, did: key.did, accountKey: auth.accountKey });
      const nc = await connectBus({
        servers: info.nats,
        credentials: { jwt: () => grant.jwt, seed: userSeedOf(key.exportSeed()) },
        inboxPrefix: agentInboxPrefix(key.did),
      });
      const js = jetstream(nc);
      const me = agentToken(key.did);
      const gw = agentToken(info.gateway);
      const base = { key, other: key.did, maxEnvelopeBytes: Defaults.maxEnvelopeBytes };
      let sent = 0;
      for (const [ctx, subject] of [
        [{ ...base, to: info.gateway }, subjects.message(MessageKind.Inbox, gw, me)],
        [
          { ...base, to: info.gateway, type: "acp.reply", replyTo: newId() },
          subjects.message(MessageKind.Reply, gw, me),
        ],
        [{ ...base, to: info.gateway, type: "acp.receipt" }, subjects.message(MessageKind.Receipt, gw, me)],
      ] as const) {
        for (const msg of fc.sample(hostileMessages(ctx), { numRuns: 30, seed })) {
          await js.publish(subject, msg.data, { msgID: newId() });
          sent++;
        }
      }
      for (const data of fc.sample(junkRecords(), { numRuns: 10, seed })) {
        await js.publish(subjects.rejected(me), data, { msgID: newId() });
        await js.publish(subjects.dead(me), data, { msgID: newId() });
      }
      // Registry requests: deep, wide and malformed payloads on every operation the member may call.
      for (const op of ["challenge", "join", "discover", "rate", "agents", "status"]) {
        for (const msg of fc.sample(hostileMessages({ ...base, to: info.gateway }), { numRuns: 5, seed })) {
          const answer = await nc
            .request(subjects.registryService(op), msg.data, { timeout: 5_000 })
            .catch((err: Error) => err);
          expect(answer, `registry ${op} answers ${msg.label}`).not.toBeInstanceOf(Error);
        }
      }
      await nc.close();

      const opArgs = (...a: string[]) => [...a, "--keys", s.keys, "--mesh", s.mesh, "--nats", info.nats, "--json"];
      // The gateway kept a record of every one of them, and the listings work over the junk.
      await expect
        .poll(async () => json<{ total: number }>(await run(opArgs("rejected", "--limit", "1000"))).total, {
          timeout: 30_000,
          interval: 500,
        })
        .toBeGreaterThanOrEqual(sent);
      const rejected = await run(opArgs("rejected", "--limit", "1000"));
      expect(rejected.code, rejected.stderr).toBe(0);
      expect(json<{ invalid: unknown[] }>(rejected).invalid).toHaveLength(10);
      const dead = await run(opArgs("dead-letters"));
      expect(dead.code, dead.stderr).toBe(0);
      const query = await run(opArgs("audit", "query", "--agent", key.did, "--limit", "5"), 60_000);
      expect(query.code, query.stderr).toBe(0);
      expect(up.child.exitCode).toBeNull();
      const status = await fetch(`${info.http}/v1/status`);
      expect(status.status).toBe(200);
      expect((await fetch(`${info.a2a}/agents`)).status).toBeLessThan(500);

      // Restarted on the same data, with the hostile messages in the log, it starts and serves.
      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);
      up = start(upArgs);
      const again = await firstJson<UpInfo>(up);
      expect((await fetch(`${again.http}/v1/status`)).status).toBe(200);
      const verified = await run(
        opArgs("audit", "verify").map((a) => (a === info.nats ? again.nats : a)),
        60_000,
      );
      expect(verified.code, verified.stderr).toBe(0);
      expect(up.child.exitCode).toBeNull();
      up.child.kill("SIGINT");
      expect((await up.exited).code).toBe(0);
    } finally {
      await reap();
    }
  }, 180_000);
});
