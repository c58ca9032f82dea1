/**
 * Least privilege for services (issue 11, finding 4): with the mesh's service credentials (what registry nodes, sealers
 * and gateways hold) the server itself refuses every call that changes or removes history, on the mesh log and on both
 * audit streams; with the admin credentials (provisioning only) the same calls are accepted. Each refusal is checked
 * twice: the call fails with a permission violation, and the stream is still whole afterwards. With the admin
 * credentials (provisioning only) no permission stands in the way. An auth folder made before the split gets its admin
 * user and a new, restricted service user, and the old unrestricted one is revoked.
 */
import { jetstreamManager, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { PermissionViolationError, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { decode, type User } from "@nats-io/jwt";
import { useTestServer } from "../src/index.js";
import { createUser, encodeUser, fmtCreds } from "@nats-io/jwt";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  connectBus,
  ensureMeshAuth,
  ensureMeshStream,
  historyStreamNames,
  readAdminCreds,
  servicePermissions,
} from "@plexus/bus";
import { AuthFile, pushMeshAccount, historyStreamSettings, parseCreds } from "@plexus/bus/internal";

const nats = useTestServer({ operator: true });
const open: NatsConnection[] = [];
afterAll(async () => {
  for (const nc of open.splice(0)) await nc.close().catch(() => undefined);
});

async function track(nc: Promise<NatsConnection>): Promise<NatsConnection> {
  const c = await nc;
  open.push(c);
  return c;
}

/** The mesh log and both audit streams, created with the admin user, each holding `count` messages. */
async function provision(mesh: string, count: number): Promise<string[]> {
  const admin = await track(nats.server.auth.connectAdmin(mesh));
  await ensureMeshStream(admin, mesh);
  const names = historyStreamNames(mesh);
  const jsm = await jetstreamManager(admin);
  await jsm.streams.add({
    ...historyStreamSettings(),
    name: names.auditChain,
    subjects: [`plexus-audit.${mesh}.chain`],
  });
  await jsm.streams.add({
    ...historyStreamSettings(),
    name: names.auditCheckpoints,
    subjects: [`plexus-audit.${mesh}.checkpoint`],
  });
  const js = (await import("@nats-io/jetstream")).jetstream(admin);
  for (let i = 0; i < count; i++) {
    await js.publish(`plexus.${mesh}.ops.rejected.x`, `m${i}`);
    await js.publish(`plexus-audit.${mesh}.chain`, `l${i}`);
    await js.publish(`plexus-audit.${mesh}.checkpoint`, `c${i}`);
  }
  return [names.mesh, names.auditChain, names.auditCheckpoints];
}

/** Every history-changing call, as a function of a JetStreamManager and a stream name. */
const ATTACKS: Record<string, (jsm: JetStreamManager, stream: string) => Promise<unknown>> = {
  "STREAM.UPDATE max_msgs": (jsm, s) => update(jsm, s, { max_msgs: 1 }),
  "STREAM.UPDATE max_age": (jsm, s) => update(jsm, s, { max_age: 3_600_000_000_000 }),
  "STREAM.UPDATE deny_delete false": (jsm, s) => update(jsm, s, { deny_delete: false }),
  "STREAM.DELETE": (jsm, s) => jsm.streams.delete(s),
  "STREAM.PURGE": (jsm, s) => jsm.streams.purge(s),
  "STREAM.MSG.DELETE": (jsm, s) => jsm.streams.deleteMessage(s, 1),
};

async function update(jsm: JetStreamManager, stream: string, change: Partial<StreamConfig>): Promise<unknown> {
  const { config } = await jsm.streams.info(stream);
  return jsm.streams.update(stream, { ...config, ...change });
}

describe("the service user's permissions", () => {
  it("allow the mesh's streams and buckets to be created by name, and deny every stream-changing verb", () => {
    const p = servicePermissions("m1");
    expect(p.pub.deny).toEqual([
      "$JS.API.STREAM.UPDATE.>",
      "$JS.API.STREAM.DELETE.>",
      "$JS.API.STREAM.PURGE.>",
      "$JS.API.STREAM.MSG.DELETE.>",
    ]);
    const creates = p.pub.allow.filter((s) => s.startsWith("$JS.API.STREAM.CREATE."));
    expect(creates).toEqual([
      "$JS.API.STREAM.CREATE.PLEXUS_M1",
      "$JS.API.STREAM.CREATE.PLEXUS_M1_AUDIT",
      "$JS.API.STREAM.CREATE.PLEXUS_M1_CHECKPOINTS",
      "$JS.API.STREAM.CREATE.PLEXUS_M1_AUDIT_TILES",
      "$JS.API.STREAM.CREATE.TOPICS_PLEXUS_M1",
      "$JS.API.STREAM.CREATE.KV_PLEXUS_M1_HEARTBEATS",
      "$JS.API.STREAM.CREATE.KV_PLEXUS_M1_A2A_TASKS",
      "$JS.API.STREAM.CREATE.KV_PLEXUS_M1_SEALERS",
    ]);
    expect(p.pub.allow).toContain("$KV.PLEXUS_M1_SEALERS.>");
    expect(
      p.pub.allow.some((s) => /STREAM\.(UPDATE|DELETE|PURGE|MSG\.DELETE|SNAPSHOT|RESTORE)|^>$|^\$JS\.API\.>$/.test(s)),
    ).toBe(false);
  });

  it("are in the service creds of a new auth folder; the admin creds carry none", async () => {
    const auth = await nats.server.auth.mesh("perm0");
    const service = decode<User>(parseCreds(auth.serviceCreds).jwt).nats;
    expect(service.pub).toEqual(servicePermissions("perm0").pub);
    expect(service.sub).toEqual(servicePermissions("perm0").sub);
    const admin = decode<User>(parseCreds((await readAdminCreds(nats.server.auth.authDir, "perm0"))!).jwt).nats;
    expect(admin.pub).toBeUndefined();
  });
});

describe("history streams against the service user", () => {
  it("refuses STREAM.UPDATE, DELETE, PURGE and MSG.DELETE on the mesh log and both audit streams; nothing is lost", async () => {
    const mesh = "perm1";
    const streams = await provision(mesh, 5);
    const service = await track(nats.server.auth.connectService(mesh));
    const jsm = await jetstreamManager(service);
    const refused: string[] = [];
    for (const stream of streams) {
      for (const [name, attack] of Object.entries(ATTACKS)) {
        const outcome = await attack(jsm, stream).then(
          () => "accepted",
          (err: unknown) =>
            err instanceof PermissionViolationError || (err as Error).message.includes("Permissions Violation")
              ? "refused"
              : `failed: ${(err as Error).message}`,
        );
        expect(outcome, `${name} on ${stream}`).toBe("refused");
        refused.push(`${name} ${stream}`);
      }
    }
    expect(refused).toHaveLength(streams.length * Object.keys(ATTACKS).length);
    // Nothing changed: every stream keeps its five messages from sequence 1 and its settings.
    const admin = await jetstreamManager(await track(nats.server.auth.connectAdmin(mesh)));
    for (const stream of streams) {
      const info = await admin.streams.info(stream);
      expect(info.state, stream).toMatchObject({ messages: 5, first_seq: 1, last_seq: 5 });
      expect(info.config, stream).toMatchObject({ max_msgs: -1, max_age: 0, deny_delete: true, deny_purge: true });
    }
  });

  it("lets the service user create a missing history stream, but not re-create one with other settings", async () => {
    const mesh = "perm2";
    const service = await track(nats.server.auth.connectService(mesh));
    await ensureMeshStream(service, mesh);
    const jsm = await jetstreamManager(service);
    const { config } = await jsm.streams.info(historyStreamNames(mesh).mesh);
    // The same settings again: idempotent. Other settings: the server refuses (the stream name is in use).
    await expect(jsm.streams.add({ ...config })).resolves.toBeDefined();
    await expect(jsm.streams.add({ ...config, max_msgs: 1 })).rejects.toThrow(/already in use/);
    expect((await jsm.streams.info(config.name)).config.max_msgs).toBe(-1);
  });

  it("lets the admin user (provisioning) make the same calls: no permission stands in its way", async () => {
    const mesh = "perm3";
    const streams = await provision(mesh, 3);
    const jsm = await jetstreamManager(await track(nats.server.auth.connectAdmin(mesh)));
    const [log, chain] = streams as [string, string, string];
    const outcomes: Record<string, string> = {};
    for (const [name, attack] of Object.entries(ATTACKS)) {
      if (name === "STREAM.DELETE") continue;
      outcomes[name] = await attack(jsm, log).then(
        () => "accepted",
        (err: unknown) =>
          err instanceof PermissionViolationError ? "refused" : `stream settings: ${(err as Error).message}`,
      );
    }
    // Limits are accepted (that is how max_msgs dropped history in the finding). deny_delete and deny_purge protect
    // against message deletes and purges for everyone, admin included, and cannot be turned off once set.
    expect(outcomes).toEqual({
      "STREAM.UPDATE max_msgs": "accepted",
      "STREAM.UPDATE max_age": "accepted",
      "STREAM.UPDATE deny_delete false":
        "stream settings: stream configuration update can not cancel deny message deletes",
      "STREAM.PURGE": expect.stringMatching(/^stream settings: /),
      "STREAM.MSG.DELETE": expect.stringMatching(/^stream settings: /),
    });
    expect((await jsm.streams.info(log)).state).toMatchObject({ messages: 1, first_seq: 3 });
    await ATTACKS["STREAM.UPDATE max_msgs"]!(jsm, chain);
    expect((await jsm.streams.info(chain)).state).toMatchObject({ messages: 1, first_seq: 3 });
    for (const s of streams) await ATTACKS["STREAM.DELETE"]!(jsm, s);
    expect(await jsm.streams.names().next()).toEqual([]);
  });
});

describe("an auth folder made before the admin/service split", () => {
  it("gets its admin user and a restricted service user on the next init/up; the old unrestricted one is revoked", async () => {
    const mesh = "perm4";
    const dir = nats.server.auth.authDir;
    const auth = await nats.server.auth.mesh(mesh);
    // What an older plexus init wrote: a service user without restrictions, no admin user.
    const old = createUser();
    const oldCreds = fmtCreds(await encodeUser(`${mesh}-service`, old, auth.accountKey), old);
    await writeFile(join(dir, AuthFile.serviceCreds(mesh)), oldCreds, { mode: 0o600 });
    await rm(join(dir, AuthFile.adminCreds(mesh)));
    await track(connectBus({ servers: nats.url, credentials: { creds: oldCreds } }));

    const upgraded = await ensureMeshAuth(dir, mesh);
    expect(await readAdminCreds(dir, mesh)).toBeDefined();
    const service = decode<User>(parseCreds(upgraded.serviceCreds).jwt);
    expect(service.sub).not.toBe(old.getPublicKey());
    expect(service.nats.pub).toEqual(servicePermissions(mesh).pub);
    // Once a server has the account JWT (plexus up preloads it; here it is pushed), the old creds no longer connect.
    await pushMeshAccount({ auth: upgraded, servers: nats.url });
    await expect(
      connectBus({ servers: nats.url, credentials: { creds: oldCreds }, connectTimeoutMs: 2_000 }),
    ).rejects.toThrow(/revoked|authorization/i);
    await track(connectBus({ servers: nats.url, credentials: { creds: upgraded.serviceCreds } }));
    // A third run changes nothing.
    const again = await ensureMeshAuth(dir, mesh);
    expect(decode<User>(parseCreds(again.serviceCreds).jwt).sub).toBe(service.sub);
  });
});
