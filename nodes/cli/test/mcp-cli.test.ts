/** `plexus mcp` refusing to start: usage and key errors go to stderr with their exit codes, stdout stays empty. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { runCli } from "../src/index.js";

let keys: string;
beforeAll(async () => {
  keys = await mkdtemp(join(tmpdir(), "plexus-mcp-cli-"));
});
afterAll(async () => {
  await rm(keys, { recursive: true, force: true });
});

async function plexus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = (add: (s: string) => void) =>
    new Writable({
      write: (chunk: Buffer | string, _e, done) => {
        add(String(chunk));
        done();
      },
    });
  const code = await runCli(args, { out: sink((t) => (stdout += t)), err: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}

describe("plexus mcp: refusals before anything starts", () => {
  it("needs --as NAME (exit 2) and takes no arguments", async () => {
    const missing = await plexus(["mcp", "--keys", keys]);
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toContain("missing --as NAME");
    expect((await plexus(["mcp", "--as", "a", "extra", "--keys", keys])).code).toBe(2);
  });

  it("names the missing key and how to create it (exit 6, invalid input)", async () => {
    const r = await plexus(["mcp", "--as", "ghost", "--keys", keys]);
    expect(r).toMatchObject({ code: exitCodeFor(ErrorCode.KeyNotFound), stdout: "" });
    expect(r.stderr).toContain(`no key named "ghost" in ${keys}`);
  });

  it("is listed in plexus --help", async () => {
    const r = await plexus(["--help"]);
    expect(r.stdout).toContain("plexus mcp --as NAME");
  });
});
