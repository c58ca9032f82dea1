/**
 * `npm pack` of @plexus/sdk and the packages it depends on, installed into a fresh project outside the checkout (from
 * the tarballs; third-party dependencies from npm's cache or the registry), where a plain-JavaScript agent
 * (fixtures/packed-agent.mjs) connects to a real nats-server and registry node started here, joins, sends a message
 * to a second agent and receives it. The tarballs are made from dist/, so the test needs a build (`npm test` builds
 * first; alone: `npm run build`).
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { generateKeyPair } from "@plexus/identity";
import { startRegistryNode } from "@plexus/registry";
import { useTestServer } from "@plexus/testing";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** @plexus/sdk and every @plexus package it depends on, directly or not. */
const PACKED = {
  "@plexus/core": "packages/core",
  "@plexus/identity": "packages/identity",
  "@plexus/bus": "packages/bus",
  "@plexus/audit": "packages/audit",
  "@plexus/acp": "protocols/acp",
  "@plexus/anp": "protocols/anp",
  "@plexus/sdk": "protocols/sdk",
};

const nats = useTestServer();
let temp = "";
afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

/** The environment for npm and the packed agent: without the tests' NODE_OPTIONS (the "@plexus/source" condition). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith("npm_")) delete env[k];
  return env;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolveRun, reject) =>
    execFile(
      command,
      args,
      { cwd, env: cleanEnv(), timeout: timeoutMs, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `${command} ${args.join(" ")} (in ${cwd}) failed${err.killed ? ` (killed after ${timeoutMs} ms: still running)` : ""}: ${err.message}\n${stderr}`,
            ),
          );
        else resolveRun(stdout);
      },
    ),
  );
}

describe("the packed SDK in a fresh project", () => {
  it("packs, installs outside the checkout, and a plain-JavaScript agent joins, sends and receives", async () => {
    const missing = Object.values(PACKED).filter((dir) => !existsSync(join(ROOT, dir, "dist", "index.js")));
    if (missing.length > 0)
      throw new Error(`no build in ${missing.join(", ")}: run \`npm run build\` first (npm test does)`);

    temp = await mkdtemp(join(tmpdir(), "plexus-pack-"));
    expect(relative(ROOT, temp).startsWith("..")).toBe(true);
    const tarballs = join(temp, "tarballs");
    await mkdir(tarballs);
    const packed = JSON.parse(
      await run(
        "npm",
        ["pack", "--json", "--pack-destination", tarballs, ...Object.keys(PACKED).flatMap((n) => ["-w", n])],
        ROOT,
        120_000,
      ),
    ) as { name: string; filename: string; files: { path: string }[] }[];
    expect(packed.map((p) => p.name).sort()).toEqual(Object.keys(PACKED).sort());
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      expect(paths, p.name).toContain("dist/index.js");
      expect(paths, p.name).toContain("dist/index.d.ts");
      expect(
        paths.filter((f) => f.startsWith("src/") || f.startsWith("test/") || f.endsWith(".tsbuildinfo")),
        p.name,
      ).toEqual([]);
    }
    const core = packed.find((p) => p.name === "@plexus/core")!.files.map((f) => f.path);
    const schemas = (await readdir(join(ROOT, "schemas"))).filter((n) => n.endsWith(".json"));
    expect(core.filter((f) => f.startsWith("schemas/")).sort()).toEqual(schemas.map((n) => `schemas/${n}`).sort());
    expect(packed.find((p) => p.name === "@plexus/identity")!.files.map((f) => f.path)).toContain(
      "dist/crypto-worker.mjs",
    );

    const app = join(temp, "app");
    await mkdir(app);
    const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:../tarballs/${p.filename}`]));
    await writeFile(
      join(app, "package.json"),
      JSON.stringify(
        { name: "packed-sdk-user", version: "1.0.0", private: true, type: "module", dependencies },
        null,
        2,
      ),
    );
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], app, 240_000);
    await copyFile(join(ROOT, "tests/fixtures/packed-agent.mjs"), join(app, "agent.mjs"));

    const mesh = `packed${process.pid}`;
    const registry = await startRegistryNode({
      nats: nats.url,
      mesh,
      key: generateKeyPair(),
      http: false,
      refreshMs: 0,
    });
    try {
      const out = JSON.parse(await run(process.execPath, ["agent.mjs", nats.url, mesh], app, 60_000)) as Record<
        string,
        unknown
      >;
      expect(out).toMatchObject({
        from: out["alice"],
        type: "greeting",
        body: { hello: "bob" },
        credentials: ["string", "string"],
      });
      expect(out["discovered"]).toEqual([out["alice"], out["bob"]].sort());
    } finally {
      await registry.stop();
    }
  }, 300_000);
});
