import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, it, expect } from "vitest";
import { PlexusError, ErrorCode } from "@plexus/core";
import { KeyStore, defaultKeysDir, resolveAgentRef, didKeyId } from "../src/index.js";

let tmp: string;
let dir: string;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "plexus-identity-"));
  dir = join(tmp, "keys");
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<PlexusError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PlexusError);
    expect((err as PlexusError).code).toBe(code);
    return err as PlexusError;
  }
  throw new Error(`expected rejection with ${code}`);
}

describe("KeyStore", () => {
  it("creates a 0600 file in a 0700 folder, with the documented shape", async () => {
    const store = new KeyStore(dir);
    const kp = await store.create("alice");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = join(dir, "alice.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const data = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(["created", "did", "name", "publicKeyMultibase", "seed", "version"]);
    expect(data["version"]).toBe(1);
    expect(data["name"]).toBe("alice");
    expect(data["did"]).toBe(kp.did);
    expect(data["publicKeyMultibase"]).toBe(didKeyId(kp.did));
    expect(data["seed"]).toBe(Buffer.from(kp.exportSeed()).toString("base64url"));
    expect(new Date(data["created"] as string).toISOString()).toBe(data["created"]);
  });

  it("load round-trips", async () => {
    const store = new KeyStore(dir);
    const kp = await store.create("bob.agent_1");
    const loaded = await new KeyStore(dir).load("bob.agent_1");
    expect(loaded.did).toBe(kp.did);
    expect(loaded.publicKey).toEqual(kp.publicKey);
    expect(loaded.exportSeed()).toEqual(kp.exportSeed());
    expect(await store.has("bob.agent_1")).toBe(true);
    expect(await store.has("carol")).toBe(false);
  });

  it("refuses a duplicate create and keeps the original key", async () => {
    const store = new KeyStore(dir);
    const kp = await store.create("alice");
    const err = await rejectsWith(store.create("alice"), ErrorCode.KeyExists);
    expect(err.message).toContain("alice");
    expect((await store.load("alice")).did).toBe(kp.did);
  });

  it("missing key: KEY_NOT_FOUND naming the folder and the command", async () => {
    const store = new KeyStore(dir);
    const err = await rejectsWith(store.load("ghost"), ErrorCode.KeyNotFound);
    expect(err.message).toContain(dir);
    expect(err.message).toContain("plexus keys new ghost");
  });

  it("corrupt or mismatched file: KEY_FILE_INVALID without leaking the seed", async () => {
    const store = new KeyStore(dir);
    const kp = await store.create("alice");
    const file = join(dir, "alice.json");
    const original = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const seed = original["seed"] as string;

    writeFileSync(file, `{"version":1,"seed":"${seed}"`); // truncated JSON
    let err = await rejectsWith(store.load("alice"), ErrorCode.KeyFileInvalid);
    expect(err.message).not.toContain(seed);
    expect(inspect(err)).not.toContain(seed);

    writeFileSync(file, JSON.stringify({ ...original, did: (await new KeyStore(join(tmp, "other")).create("x")).did }));
    err = await rejectsWith(store.load("alice"), ErrorCode.KeyFileInvalid);
    expect(err.message).toMatch(/does not match/);
    expect(err.message).not.toContain(seed);

    writeFileSync(file, JSON.stringify({ ...original, seed: seed.slice(0, 20) }));
    await rejectsWith(store.load("alice"), ErrorCode.KeyFileInvalid);

    writeFileSync(file, JSON.stringify({ ...original, version: 2 }));
    await rejectsWith(store.load("alice"), ErrorCode.KeyFileInvalid);

    writeFileSync(file, "[]");
    await rejectsWith(store.load("alice"), ErrorCode.KeyFileInvalid);

    writeFileSync(file, JSON.stringify(original));
    expect((await store.load("alice")).did).toBe(kp.did);
  });

  it("rejects invalid names", async () => {
    const store = new KeyStore(dir);
    for (const bad of ["", ".hidden", "-x", "a/b", "../etc", "a b", "x".repeat(65), "é"]) {
      await rejectsWith(store.create(bad), ErrorCode.InvalidArgument);
      await rejectsWith(store.load(bad), ErrorCode.InvalidArgument);
    }
    await store.create("x".repeat(64));
  });

  it("lists valid keys sorted by name, skipping other files", async () => {
    const store = new KeyStore(dir);
    expect(await store.list()).toEqual([]);
    const b = await store.create("bravo");
    const a = await store.create("alpha");
    writeFileSync(join(dir, "broken.json"), "nope");
    writeFileSync(join(dir, "notes.txt"), "hi");
    expect(await store.list()).toEqual([
      { name: "alpha", did: a.did },
      { name: "bravo", did: b.did },
    ]);
    expect(readdirSync(dir).sort()).toEqual(["alpha.json", "bravo.json", "broken.json", "notes.txt"]);
  });

  it("a stored key never shows its seed", async () => {
    const store = new KeyStore(dir);
    const kp = await store.create("alice");
    const seed = kp.exportSeed();
    const forms = [
      Buffer.from(seed).toString("hex"),
      Buffer.from(seed).toString("base64url"),
      Buffer.from(seed).toString("base64"),
    ];
    for (const shown of [JSON.stringify(kp), inspect(kp), String(kp), inspect(store), JSON.stringify(store)]) {
      for (const secret of forms) expect(shown).not.toContain(secret);
    }
  });
});

describe("resolveAgentRef and defaultKeysDir", () => {
  it("returns a did:key as is and resolves names through the store", async () => {
    const store = new KeyStore(dir);
    const kp = await store.create("alice");
    expect(await resolveAgentRef(kp.did, store)).toBe(kp.did);
    expect(await resolveAgentRef("alice", store)).toBe(kp.did);
    await rejectsWith(resolveAgentRef("nobody", store), ErrorCode.KeyNotFound);
    await rejectsWith(resolveAgentRef("did:key:zNope", store), ErrorCode.InvalidDid);
  });

  it("uses $PLEXUS_KEYS, else ~/.plexus/keys", () => {
    const saved = process.env["PLEXUS_KEYS"];
    try {
      process.env["PLEXUS_KEYS"] = dir;
      expect(defaultKeysDir()).toBe(dir);
      delete process.env["PLEXUS_KEYS"];
      expect(defaultKeysDir()).toBe(join(homedir(), ".plexus", "keys"));
    } finally {
      if (saved === undefined) delete process.env["PLEXUS_KEYS"];
      else process.env["PLEXUS_KEYS"] = saved;
    }
  });
});
