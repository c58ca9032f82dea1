/**
 * `plexus context add|use|ls|show|rm` as a user runs them (child processes), and what a stored context changes:
 * each connection setting from its flag, else its environment variable, else the selected context (--context, or
 * the current one), else the default. Offline: `keys list --json` shows the key folder a command uses, and a NATS URL
 * nothing listens on shows in "cannot reach NATS at …".
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, childEnv, runHere, type Result } from "./cli-process.js";

const root = mkdtempSync(join(tmpdir(), "plexus-ctx-"));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;

/** A fresh config folder per test, and a runner that uses it (extra environment variables on top). */
function home() {
  const dir = join(root, `h${++n}`);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...childEnv(), PLEXUS_CONFIG_HOME: dir, ...env }, encoding: "utf8", timeout: 20_000 },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
        },
      );
    });
  return { dir, run, file: join(dir, "contexts.json") };
}

describe("plexus context", { timeout: 120_000 }, () => {
  it("add, ls (current marked), use, show, rm; the file is mode 0600 JSON", async () => {
    const { run, file } = home();
    const keys = join(root, "dev-keys");
    expect(
      (
        await run([
          "context",
          "add",
          "dev",
          "--nats",
          "nats://10.0.0.1:4222,nats://10.0.0.2:4222",
          "--mesh",
          "devmesh",
          "--keys",
          keys,
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await run([
          "context",
          "add",
          "prod",
          "--nats",
          "tls://nats.example.com:4222",
          "--nats-auth",
          "off",
          "--use",
          "--json",
        ])
      ).code,
    ).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, "utf8")) as {
      current: string;
      contexts: Record<string, Record<string, string>>;
    };
    expect(stored.current).toBe("prod");
    expect(stored.contexts["dev"]).toEqual({
      nats: "nats://10.0.0.1:4222,nats://10.0.0.2:4222",
      mesh: "devmesh",
      keys,
    });

    const ls = await run(["context", "ls"]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^\* +prod +tls:\/\/nats\.example\.com:4222/m);
    expect(ls.stdout).toMatch(/^ +dev +nats:\/\/10\.0\.0\.1:4222,nats:\/\/10\.0\.0\.2:4222 +mesh devmesh/m);
    const lsJson = JSON.parse((await run(["context", "ls", "--json"])).stdout) as {
      current: string;
      contexts: { name: string; current: boolean }[];
    };
    expect(lsJson.current).toBe("prod");
    expect(lsJson.contexts.map((c) => [c.name, c.current])).toEqual([
      ["dev", false],
      ["prod", true],
    ]);

    expect((await run(["context", "use", "dev"])).stdout).toContain("current context: dev");
    const show = JSON.parse((await run(["context", "show", "--json"])).stdout) as {
      name: string;
      current: boolean;
      effective: Record<string, string>;
    };
    expect(show).toMatchObject({
      name: "dev",
      current: true,
      effective: {
        nats: "nats://10.0.0.1:4222,nats://10.0.0.2:4222",
        mesh: "devmesh",
        keys,
        natsAuth: join(root, "nats"),
      },
    });
    const showProd = await run(["context", "show", "prod"]);
    expect(showProd.stdout).toMatch(/^mesh +default +\(default\)$/m);
    expect(showProd.stdout).toMatch(/^nats-auth +off$/m);

    const removed = await run(["context", "rm", "dev"]);
    expect(removed.stdout).toContain("it was current");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      contexts: { prod: { nats: "tls://nats.example.com:4222", natsAuth: "off" } },
    });
    const none = await run(["context", "show"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no context is current");
  });

  it("refuses a name that exists (unless --force), a bad name or URL, an unknown context, with one clear line", async () => {
    const { run } = home();
    expect((await run(["context", "add", "a", "--nats", "nats://127.0.0.1:1"])).code).toBe(0);
    const again = await run(["context", "add", "a", "--nats", "nats://127.0.0.1:2"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^plexus: a context named "a" exists already in .*contexts\.json \(replace it with --force/,
    );
    expect((await run(["context", "add", "a", "--nats", "nats://127.0.0.1:2", "--force"])).code).toBe(0);
    expect(JSON.parse((await run(["context", "show", "a", "--json"])).stdout).stored).toEqual({
      nats: "nats://127.0.0.1:2",
    });

    for (const [args, message] of [
      [["context", "add", "b", "--nats", "http://example.com"], '--nats "http://example.com" is not a NATS URL'],
      [["context", "add", "b", "--nats", "nats://ok:1,not a url"], '--nats "not a url" is not a NATS URL'],
      [["context", "add", "../b"], '"../b" is not a context name'],
      [["context", "add", "b", "--mesh", "Bad Mesh"], "mesh"],
      [["context", "add"], "missing NAME"],
      [["context", "use"], "missing NAME"],
      [["context", "ls", "extra"], 'unexpected argument "extra"'],
      [["context"], "missing a subcommand: add, use, ls, show or rm"],
    ] as const) {
      // Usage errors come before anything is read or written: in this process (a child costs a second of CPU).
      const r = await runHere([...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain("usage: plexus context add NAME");
    }
    for (const args of [
      ["context", "use", "nosuch"],
      ["context", "show", "nosuch"],
      ["context", "rm", "nosuch"],
      ["keys", "list", "--context", "nosuch"],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(6); // INVALID_ARGUMENT
      expect(r.stderr.trim()).toMatch(/^plexus: no context named "nosuch" in .*contexts\.json \(known: a\)$/);
    }
    const viaEnv = await run(["keys", "list"], { PLEXUS_CONTEXT: "gone" });
    expect(viaEnv.code).toBe(6);
    expect(viaEnv.stderr).toContain('no context named "gone"');
  });

  it("precedence: flag > environment variable > selected context > default", async () => {
    const { run } = home();
    const [ctxKeys, envKeys, flagKeys, otherKeys] = ["ctx", "env", "flag", "other"].map((k) =>
      join(root, `prec-${k}`),
    ) as [string, string, string, string];
    const dir = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await run(["keys", "list", "--json", ...args], env);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { dir: string }).dir;
    };
    const home0 = join(root, "fakehome");
    expect(await dir([], { HOME: home0 })).toBe(join(home0, ".plexus", "keys"));
    await run([
      "context",
      "add",
      "c",
      "--keys",
      ctxKeys,
      "--nats",
      "nats://127.0.0.1:1",
      "--nats-auth",
      "off",
      "--use",
    ]);
    await run(["context", "add", "other", "--keys", otherKeys, "--nats", "nats://127.0.0.1:3", "--nats-auth", "off"]);
    expect(await dir([])).toBe(ctxKeys);
    expect(await dir(["--context", "other"])).toBe(otherKeys);
    expect(await dir([], { PLEXUS_CONTEXT: "other" })).toBe(otherKeys);
    expect(await dir([], { PLEXUS_KEYS: envKeys })).toBe(envKeys);
    expect(await dir(["--keys", flagKeys], { PLEXUS_KEYS: envKeys })).toBe(flagKeys);

    const reach = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await run(["agents", ...args], env);
      expect(r.code).toBe(10); // NATS_UNAVAILABLE: nothing listens there
      return /cannot reach NATS at (\S+):/.exec(r.stderr)?.[1];
    };
    expect(await reach([])).toBe("nats://127.0.0.1:1");
    expect(await reach(["--context", "other"])).toBe("nats://127.0.0.1:3");
    expect(await reach([], { PLEXUS_NATS_URL: "nats://127.0.0.1:2" })).toBe("nats://127.0.0.1:2");
    expect(await reach(["--nats", "nats://127.0.0.1:4"], { PLEXUS_NATS_URL: "nats://127.0.0.1:2" })).toBe(
      "nats://127.0.0.1:4",
    );
  });

  it("lives in $XDG_CONFIG_HOME/plexus when PLEXUS_CONFIG_HOME is not set", async () => {
    const xdg = join(root, "xdg");
    const r = await new Promise<Result>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...childEnv(), XDG_CONFIG_HOME: xdg };
      delete env["PLEXUS_CONFIG_HOME"];
      execFile(
        process.execPath,
        [BIN, "context", "add", "x", "--mesh", "m1"],
        { env, encoding: "utf8" },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      );
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(xdg, "plexus", "contexts.json"), "utf8"))).toEqual({
      contexts: { x: { mesh: "m1" } },
    });
    expect(statSync(join(xdg, "plexus")).mode & 0o777).toBe(0o700);
  });
});
