/**
 * bin/plexus.js as a user runs it, without the tests' "@plexus/source" condition: it runs the build (dist/main.js), and
 * without a build it says what to run and exits 1 instead of falling back to anything. Needs a build (`npm test`
 * builds first; alone: `npm run build`).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, childEnv, type Result } from "./cli-process.js";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "..");
let temp = "";
beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "plexus-bin-"));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** Runs `node BIN args` as a user would: no NODE_OPTIONS. */
function runBuilt(bin: string, args: string[]): Promise<Result> {
  const env = childEnv();
  delete env.NODE_OPTIONS;
  return new Promise((resolveRun) =>
    execFile(process.execPath, [bin, ...args], { env, timeout: 30_000, encoding: "utf8" }, (err, stdout, stderr) =>
      resolveRun({ code: err ? ((err as { code?: unknown }).code as number | null) : 0, stdout, stderr }),
    ),
  );
}

describe("bin/plexus.js", () => {
  it("runs the build: a command works from dist/ (the key file it writes is readable back)", async () => {
    if (!existsSync(join(CLI, "dist", "main.js")))
      throw new Error("nodes/cli/dist/main.js is missing: run `npm run build` first (npm test does)");
    const keys = join(temp, "keys");
    const made = await runBuilt(BIN, ["keys", "new", "alice", "--keys", keys, "--json"]);
    expect(made.code).toBe(0);
    const shown = await runBuilt(BIN, ["keys", "show", "alice", "--keys", keys, "--json"]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ did: (JSON.parse(made.stdout) as { did: string }).did });
    expect(await runBuilt(BIN, ["--version"])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^plexus \d+\.\d+\.\d+\n$/),
    });
  });

  it("without a build: exits 1 and says to run npm run build", async () => {
    // The bin and its package.json alone, as in a checkout where nothing was built yet.
    const copy = join(temp, "unbuilt");
    await mkdir(join(copy, "bin"), { recursive: true });
    await copyFile(join(CLI, "package.json"), join(copy, "package.json"));
    await copyFile(BIN, join(copy, "bin", "plexus.js"));
    const r = await runBuilt(join(copy, "bin", "plexus.js"), ["keys", "list"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^plexus: not built \(.*dist\/main\.js is missing\): run `npm run build` in the Plexus checkout\n$/,
    );
  });
});
