/**
 * A CLI started through npm or npx stops when that wrapper is gone (the README tour's `kill $(jobs -p)` kills npx's
 * wrapper, SIGTERM to `npm start` kills npm; neither reaches the node process under it). Here a stand-in wrapper, a
 * node script named as npx's (npx-cli.js), starts `plexus up` and is SIGKILLed: `up` stops as on SIGTERM, its
 * nats-server with it, within a few seconds.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, childEnv } from "./cli-process.js";
import { wrapperAncestor } from "../src/wrapper-watch.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a CLI started through npm/npx", { timeout: 60_000 }, () => {
  it("plexus up stops, and its nats-server with it, when the npx process that started it is killed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plexus-wrapper-"));
    dirs.push(dir);
    const wrapper = join(dir, "npx-cli.js");
    // CommonJS (no package.json here): starts the CLI, passes its output through, and stays until killed.
    await writeFile(
      wrapper,
      `const { spawn } = require("node:child_process");
const child = spawn(process.execPath, process.argv.slice(2), { stdio: ["ignore", "inherit", "inherit"] });
setInterval(() => undefined, 1000);`,
    );
    const args = [
      BIN,
      "up",
      "--no-auth",
      "--data",
      join(dir, "data"),
      "--nats-port",
      "0",
      "--http",
      "off",
      "--no-gateway",
      "--no-registry",
      "--no-sealer",
      "--keys",
      join(dir, "keys"),
      "--json",
    ];
    const w = spawn(process.execPath, [wrapper, ...args], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    w.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    w.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    try {
      await expect.poll(() => stdout.includes("\n"), { timeout: 30_000 }).toBe(true);
      const info = JSON.parse(stdout.split("\n")[0]!) as { pid: number; nats: string };
      expect(alive(info.pid)).toBe(true);
      w.kill("SIGKILL");
      // The wrapper's end is seen within a second or two; up then stops its server.
      await expect.poll(() => alive(info.pid), { timeout: 15_000, interval: 200 }).toBe(false);
      await expect.poll(() => stderr, { timeout: 15_000 }).toContain("the npm/npx process that started this one");
    } finally {
      w.kill("SIGKILL");
    }
  });

  it("looks no higher than the process tree goes: init has no npm/npx ancestor", () => {
    expect(wrapperAncestor(1)).toBeUndefined();
    expect(wrapperAncestor(0)).toBeUndefined();
  });
});
