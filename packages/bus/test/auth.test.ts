import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fromPublic, fromSeed } from "@nats-io/nkeys";
import { generateKeyPair, keyPairFromSeed, publicKeyFromDid } from "@plexus/identity";
import {
  agentPermissions,
  ensureMeshAuth,
  issueAgentUser,
  loadMeshAuth,
  operatorModeConfig,
  userPublicKeyOfDid,
  userSeedOf,
} from "../src/index.js";
import { agentInboxPrefix, AuthFile, parseCreds, userClaims } from "../src/internal.js";
import { bootstrapPermissions } from "../src/auth/permissions.js";
import { fastNKey } from "../src/auth/fast-nkey.js";
import { rawSeedOf, userKeyPairOf } from "../src/auth/nkey-codec.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("an agent's NATS user key is its own Ed25519 key", () => {
  it("the nkey seed and public key encode the agent's seed and did:key", () => {
    for (let i = 0; i < 20; i++) {
      const key = generateKeyPair();
      const pair = userKeyPairOf(key.exportSeed());
      expect(pair.getPublicKey()).toBe(userPublicKeyOfDid(key.did));
      expect(pair.getPublicKey()).toMatch(/^U[A-Z2-7]{55}$/);
      // nkeys itself reads both back (checksums included) to the same raw key.
      expect(new TextDecoder().decode(userSeedOf(key.exportSeed()))).toMatch(/^SU[A-Z2-7]{56}$/);
      const data = new TextEncoder().encode(`nonce ${i}`);
      expect(fromPublic(userPublicKeyOfDid(key.did)).verify(data, key.sign(data))).toBe(true);
      expect(fromSeed(userSeedOf(key.exportSeed())).sign(data)).toEqual(key.sign(data));
    }
  });

  it("a fixed seed gives a fixed user key (RFC 8032 test vector 1)", () => {
    const key = keyPairFromSeed(Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"));
    expect(Buffer.from(publicKeyFromDid(key.did)).toString("hex")).toBe(
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    );
    expect(userPublicKeyOfDid(key.did)).toBe(userKeyPairOf(key.exportSeed()).getPublicKey());
  });

  it("refuses keys of the wrong length", () => {
    expect(() => userSeedOf(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe("agentPermissions", () => {
  it("lists exactly what an agent may publish and subscribe to", () => {
    const did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    const me = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    const p = agentPermissions("m1", did);
    expect(p.pub.allow).toEqual([
      `plexus.m1.acp.*.*.${me}`,
      `plexus.m1.ops.*.${me}`,
      `_INBOX.${me}.>`,
      "plexus-registry.m1.*",
      `$KV.PLEXUS_M1_HEARTBEATS.${me}`,
      "$JS.API.INFO",
      "$JS.API.STREAM.INFO.PLEXUS_M1",
      "$JS.API.STREAM.INFO.KV_PLEXUS_M1_HEARTBEATS",
      `$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.acp.inbox.${me}.*`,
      `$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.acp.receipt.${me}.*`,
      `$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.acp.reply.${me}.*`,
      `$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.acp.*.*.${me}`,
      `$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.ops.*.${me}`,
      // Key rotations are public; the reader refuses what a rotated-away key signs later.
      "$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.registry.KeyRotated.*",
      "$JS.API.CONSUMER.CREATE.PLEXUS_M1.*.plexus.m1.registry.RegistryKeyRotated.*",
      "$JS.API.CONSUMER.INFO.PLEXUS_M1.*",
      "$JS.API.CONSUMER.MSG.NEXT.PLEXUS_M1.*",
      "$JS.ACK.PLEXUS_M1.>",
      // Topic durables: made by the registry; agents only read info, pull and ack (no create on the topic stream).
      "$JS.API.CONSUMER.INFO.TOPICS_PLEXUS_M1.*",
      "$JS.API.CONSUMER.MSG.NEXT.TOPICS_PLEXUS_M1.*",
      "$JS.ACK.TOPICS_PLEXUS_M1.>",
    ]);
    expect(p.pub.deny).toEqual([
      "$JS.API.STREAM.MSG.GET.>",
      "$JS.API.DIRECT.GET.>",
      "$JS.API.CONSUMER.LIST.>",
      "$JS.API.CONSUMER.NAMES.>",
      "$JS.API.CONSUMER.DELETE.>",
      "$JS.API.CONSUMER.DURABLE.CREATE.>",
      "$JS.API.CONSUMER.CREATE.PLEXUS_M1",
      "$JS.API.CONSUMER.CREATE.PLEXUS_M1.*",
      "$JS.API.STREAM.CREATE.>",
      "$JS.API.STREAM.UPDATE.>",
      "$JS.API.STREAM.DELETE.>",
      "$JS.API.STREAM.PURGE.>",
      "$JS.API.STREAM.MSG.DELETE.>",
    ]);
    expect(p.sub).toEqual({ allow: [`_INBOX.${me}.>`, "plexus.m1.acp.topic.>"], deny: ["$JS.EVENT.>"] });
    expect(agentInboxPrefix(did)).toBe(`_INBOX.${me}`);
  });

  it("a bootstrap user may only ask for a challenge and a user JWT", () => {
    expect(bootstrapPermissions("m1")).toEqual({
      pub: { allow: ["plexus-registry.m1.challenge", "plexus-registry.m1.connect"], deny: [] },
      sub: { allow: ["_INBOX.bootstrap.>"], deny: [] },
    });
  });
});

describe("the auth folder", () => {
  it("holds the operator, the system account and a mesh account, every file 0600 in a 0700 folder", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "plexus-auth-")), "nats");
    dirs.push(dir);
    const auth = await ensureMeshAuth(dir, "m1");
    expect(auth.account).toMatch(/^A/);
    expect(auth.systemAccount).toMatch(/^A/);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(
      [
        AuthFile.operatorJwt,
        AuthFile.operatorSeed,
        AuthFile.operatorSigningSeed,
        AuthFile.systemJwt,
        AuthFile.systemSeed,
        AuthFile.systemCreds,
        AuthFile.accountJwt("m1"),
        AuthFile.accountSeed("m1"),
        AuthFile.serviceCreds("m1"),
        AuthFile.adminCreds("m1"),
        AuthFile.bootstrapCreds("m1"),
      ].sort(),
    );
    for (const n of names) expect((await stat(join(dir, n))).mode & 0o777, n).toBe(0o600);
    // Idempotent: a second call keeps the same keys; another mesh gets its own account under the same operator.
    expect((await ensureMeshAuth(dir, "m1")).account).toBe(auth.account);
    const other = await ensureMeshAuth(dir, "m2");
    expect(other.account).not.toBe(auth.account);
    expect(other.systemAccount).toBe(auth.systemAccount);
    expect((await loadMeshAuth(dir, "m2")).account).toBe(other.account);
    const config = await operatorModeConfig(dir, "/tmp/resolver");
    expect(config).toContain(`system_account: ${auth.systemAccount}`);
    expect(config).toContain(`${auth.account}: `);
    expect(config).toContain(`${other.account}: `);
    await expect(loadMeshAuth(dir, "m3")).rejects.toThrow(/plexus init/);
  });

  it("issues an agent user JWT bound to its key, signed by the mesh account, with its permissions and expiry", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "plexus-auth-")), "nats");
    dirs.push(dir);
    const auth = await ensureMeshAuth(dir, "m1");
    const key = generateKeyPair();
    const before = Date.now();
    const grant = await issueAgentUser({ mesh: "m1", did: key.did, accountKey: auth.accountKey, ttlMs: 60_000 });
    const claims = userClaims(grant.jwt);
    expect(claims.sub).toBe(userPublicKeyOfDid(key.did));
    expect(claims.iss).toBe(auth.account);
    expect(claims.exp).toBe(Math.floor((before + 60_000) / 1000));
    expect(grant.expiresAt).toBe(claims.exp! * 1000);
    expect(grant.inboxPrefix).toBe(agentInboxPrefix(key.did));
    expect(claims.nats.pub).toEqual(agentPermissions("m1", key.did).pub);
    expect(claims.nats.sub).toEqual(agentPermissions("m1", key.did).sub);
    await expect(issueAgentUser({ mesh: "m1", did: key.did, accountKey: auth.accountKey, ttlMs: 10 })).rejects.toThrow(
      /at least 1 s/,
    );
  });
});

describe("fast nkeys", () => {
  it("sign byte for byte like @nats-io/nkeys, with the same public key, for user, account and operator seeds", async () => {
    const { createAccount, createOperator, createUser } = await import("@nats-io/nkeys");
    for (const slow of [createUser(), createAccount(), createOperator()]) {
      const fast = fastNKey(slow.getSeed());
      expect(fast.getPublicKey()).toBe(slow.getPublicKey());
      const data = new TextEncoder().encode("nonce-1234");
      expect(Buffer.from(fast.sign(data))).toEqual(Buffer.from(slow.sign(data)));
      expect(fast.verify(data, slow.sign(data))).toBe(true);
    }
    const seed = generateKeyPair().exportSeed();
    expect(Buffer.from(rawSeedOf(userSeedOf(seed)))).toEqual(Buffer.from(seed));
    const broken = userSeedOf(seed);
    broken[10] = broken[10] === 65 ? 66 : 65;
    expect(() => rawSeedOf(broken)).toThrow(/checksum|not an nkey/);
  });

  it("read a .creds file's JWT and seed", () => {
    const user = fromSeed(userSeedOf(generateKeyPair().exportSeed()));
    const creds = `-----BEGIN NATS USER JWT-----\neyJhbGciOi.x.y\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`;
    const parsed = parseCreds(creds);
    expect(parsed.jwt).toBe("eyJhbGciOi.x.y");
    expect(new TextDecoder().decode(parsed.seed)).toBe(new TextDecoder().decode(user.getSeed()));
    expect(() => parseCreds("nothing here")).toThrow(/unable to parse credentials/);
  });
});
