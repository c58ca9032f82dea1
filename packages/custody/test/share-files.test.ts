import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "@plexus/core";
import { generateKeyPair } from "@plexus/identity";
import {
  readShareFile,
  readShareFiles,
  restoreKeyPair,
  signUnsealRequest,
  verifyUnsealRequest,
  writeShareFiles,
} from "../src/index.js";

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "plexus-custody-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("share files", () => {
  it("writes n files 0600 in a 0700 folder, never the seed, and reads them back into the key", async () => {
    const key = generateKeyPair();
    const seed = key.exportSeed();
    const dir = join(root, "a", "shares");
    const written = await writeShareFiles(seed, { shares: 4, threshold: 2, outDir: dir, name: "registry" });
    expect(written).toMatchObject({ did: key.did, threshold: 2, total: 4 });
    expect(written.files).toHaveLength(4);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const prefix = written.splitId.slice(0, 8);
    expect((await readdir(dir)).sort()).toEqual([1, 2, 3, 4].map((i) => `registry-${prefix}-share-${i}-of-4.json`));
    for (const file of written.files) {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const text = await readFile(file, "utf8");
      expect(text).not.toContain(Buffer.from(seed).toString("hex"));
      expect(text).not.toContain(Buffer.from(seed).toString("base64url"));
    }
    const restored = restoreKeyPair(await readShareFiles([written.files[3]!, written.files[0]!]));
    expect(restored).toMatchObject({ splitId: written.splitId, label: "registry" });
    expect(restored.keyPair.did).toBe(key.did);
    // A second split into the same folder does not collide with the first.
    const again = await writeShareFiles(seed, { shares: 2, threshold: 2, outDir: dir, name: "registry" });
    expect((await readdir(dir)).length).toBe(6);
    expect(again.splitId).not.toBe(written.splitId);
  });

  it("names the file when it is missing or damaged, without quoting its content", async () => {
    await expect(readShareFile(join(root, "nope.json"))).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: expect.stringContaining("no such file"),
    });
    const bad = join(root, "bad.json");
    await writeFile(bad, '{"type":"plexus-key-share","version":1,"share":"80');
    await expect(readShareFile(bad)).rejects.toMatchObject({
      code: ErrorCode.ShareInvalid,
      message: `share file ${bad} is not a valid key share: it is not valid JSON`,
    });
  });
});

describe("unseal requests", () => {
  it("verify only for the node, nonce and share the custodian signed", async () => {
    const registry = generateKeyPair();
    const custodian = generateKeyPair();
    const dir = join(root, "u");
    const { files } = await writeShareFiles(registry.exportSeed(), {
      shares: 3,
      threshold: 2,
      outDir: dir,
      name: "reg",
    });
    const [one, two] = await readShareFiles(files.slice(0, 2));
    const request = signUnsealRequest(custodian, { node: registry.did, nonce: "n".repeat(43), share: one! });
    expect(verifyUnsealRequest(JSON.parse(JSON.stringify(request)), registry.did)).toMatchObject({
      custodian: custodian.did,
      share: { index: 1 },
    });
    const unauthorized = (body: unknown, node = registry.did) =>
      expect(() => verifyUnsealRequest(body, node)).toThrow(
        expect.objectContaining({ code: ErrorCode.UnsealUnauthorized }),
      );
    unauthorized(request, generateKeyPair().did); // meant for another node
    unauthorized({ ...request, nonce: "m".repeat(43) }); // another nonce
    unauthorized({ ...request, share: two }); // another share
    unauthorized({ ...request, custodian: generateKeyPair().did }); // claims to be someone else
    expect(() => verifyUnsealRequest({ ...request, extra: 1 }, registry.did)).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => verifyUnsealRequest({ ...request, share: { ...one, index: 2 } }, registry.did)).toThrow(
      expect.objectContaining({ code: ErrorCode.ShareInvalid }),
    );
  });
});
