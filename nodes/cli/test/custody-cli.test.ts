/**
 * Shamir custody as users run it, as child processes: `plexus keys split` / `keys combine`, and a registry node
 * started with `registry start --sealed` and unsealed by custodians with `plexus registry unseal`.
 */
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, json, jsonLines, lines, runHere } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("cus", () => nats.url);

describe("plexus keys split / combine", () => {
  it("round-trips a key through share files, never printing key material, and fails closed", async () => {
    const { run, reap } = cli();
    const s = scope();
    try {
      const { did } = json<{ did: string }>(await run(s.args("keys", "new", "reg", "--json")));
      const seed = (JSON.parse(await readFile(join(s.keys, "reg.json"), "utf8")) as { seed: string }).seed;
      const out = join(s.dir, "shares");
      const split = await run(
        s.args("keys", "split", "reg", "--shares", "5", "--threshold", "3", "--out", out, "--json"),
      );
      expect(split.code).toBe(0);
      const written = json<{ did: string; threshold: number; shares: number; files: string[] }>(split);
      expect(written).toMatchObject({ did, threshold: 3, shares: 5 });
      expect(written.files).toHaveLength(5);
      for (const file of written.files) {
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        expect(await readFile(file, "utf8")).not.toContain(seed);
      }
      const human = await run(s.args("keys", "split", "reg", "--shares", "3", "--threshold", "2", "--out", out));
      expect(lines(human.stdout)).toHaveLength(3); // one path per line
      for (const text of [split.stdout, split.stderr, human.stdout, human.stderr]) {
        expect(text).not.toContain(seed);
        expect(text).not.toContain(Buffer.from(seed, "base64url").toString("hex"));
      }

      const [f1, f2, f3, f4, f5] = written.files as [string, string, string, string, string];
      const restored = await run(s.args("keys", "combine", f5, f1, f3, "--name", "reg2", "--json"));
      expect(restored.code).toBe(0);
      expect(json(restored)).toMatchObject({ name: "reg2", did, stored: true });
      expect((await stat(join(s.keys, "reg2.json"))).mode & 0o777).toBe(0o600);
      expect((await run(s.args("keys", "show", "reg2", "--json"))).stdout).toContain(did);
      // Default name: the one recorded in the shares; the same key there already is left alone.
      const again = await run(s.args("keys", "combine", f2, f4, f5, "--json"));
      expect(again.code).toBe(0);
      expect(json(again)).toMatchObject({ name: "reg", did, stored: false });

      const tooFew = await run(s.args("keys", "combine", f1, f2, "--name", "x"));
      expect(tooFew.code).toBe(exitCodeFor(ErrorCode.SharesInsufficient));
      expect(tooFew.stderr).toMatch(/2 shares given, but .* needs 3 of its 5 \[SHARES_INSUFFICIENT\]/);
      await run(s.args("keys", "new", "other"));
      const clash = await run(s.args("keys", "combine", f1, f2, f3, "--name", "other"));
      expect(clash.code).toBe(exitCodeFor(ErrorCode.KeyExists));
      expect(clash.stderr).toMatch(/a different key named "other" .* not overwriting it/);
      const dup = await run(s.args("keys", "combine", f1, f1, f2));
      expect(dup.stderr).toContain("[SHARE_DUPLICATE]");
      expect(dup.code).toBe(exitCodeFor(ErrorCode.ShareDuplicate));

      const damaged = join(s.dir, "damaged.json");
      const text = await readFile(f3, "utf8");
      const at = text.indexOf('"share": "') + 20;
      await writeFile(damaged, text.slice(0, at) + (text[at] === "0" ? "1" : "0") + text.slice(at + 1));
      const flipped = await run(s.args("keys", "combine", f1, f2, damaged));
      expect(flipped.code).toBe(exitCodeFor(ErrorCode.ShareInvalid));
      expect(flipped.stderr).toContain(
        `share file ${damaged} is not a valid key share: its integrity tag does not match`,
      );
      expect(flipped.stderr).toContain("[SHARE_INVALID]");
    } finally {
      await reap();
    }
  }, 90_000);

  it("refuses bad split parameters and misplaced options as usage errors", async () => {
    const s = scope();
    const usage = async (args: string[], pattern: RegExp) => {
      const r = await runHere(s.args(...args));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
    };
    await usage(
      ["keys", "split", "reg", "--shares", "3", "--threshold", "4", "--out", s.dir],
      /threshold \(4\) must not exceed the number of shares \(3\)/,
    );
    await usage(
      ["keys", "split", "reg", "--shares", "3", "--threshold", "1", "--out", s.dir],
      /--threshold must be a whole number from 2 to 255/,
    );
    await usage(
      ["keys", "split", "reg", "--shares", "256", "--threshold", "2", "--out", s.dir],
      /--shares must be a whole number from 2 to 255/,
    );
    await usage(["keys", "split", "reg", "--shares", "3", "--threshold", "2"], /missing --out/);
    await usage(["keys", "new", "x", "--threshold", "2"], /--threshold is not an option of "plexus keys new"/);
    await usage(["keys", "combine"], /missing SHARE/);
    await usage(
      ["registry", "start", "--custodian", "did:key:z6Mk"],
      /--custodian is only for plexus registry start --sealed/,
    );
    await usage(["registry", "start", "--sealed"], /--sealed needs the key the shares restore/);
    await usage(["registry", "unseal", "--as", "c1"], /missing --share FILE/);
  });
});

describe("plexus registry start --sealed / registry unseal", () => {
  it("starts sealed with no key on disk, refuses a non-custodian, and serves once K custodians gave shares", async () => {
    const { run, start, reap } = cli();
    const s = scope();
    try {
      const { did } = json<{ did: string }>(await run(s.args("keys", "new", "registry", "--json")));
      for (const c of ["c1", "c2", "outsider"]) expect((await run(s.args("keys", "new", c))).code).toBe(0);
      const split = json<{ files: string[] }>(
        await run(
          s.args(
            "keys",
            "split",
            "registry",
            "--shares",
            "3",
            "--threshold",
            "2",
            "--out",
            join(s.dir, "sh"),
            "--json",
          ),
        ),
      );
      await rm(join(s.keys, "registry.json")); // from here on the key exists only as shares
      const [f1, f2] = split.files as [string, string];

      const node = start(
        s.args(
          "registry",
          "start",
          "--sealed",
          "--registry-did",
          did,
          "--custodian",
          "c1",
          "--custodian",
          "c2",
          "--http",
          "127.0.0.1:0",
          "--data",
          "off",
          "--json",
        ),
      );
      await node.waitFor("\n", 20_000, "stdout");
      const sealed = jsonLines(node.stdout())[0] as {
        registry: string;
        http: string;
        sealed: boolean;
        threshold: number | null;
      };
      expect(sealed).toMatchObject({ registry: did, sealed: true, threshold: null });
      const status = ((await (await fetch(`${sealed.http}/v1/status`)).json()) as { data: Record<string, unknown> })
        .data;
      expect(status).toMatchObject({ sealed: true, did, received: 0 });

      const refused = await run(s.args("registry", "unseal", "--url", sealed.http, "--share", f1, "--as", "outsider"));
      expect(refused.code).toBe(exitCodeFor(ErrorCode.UnsealUnauthorized));
      expect(refused.stderr).toMatch(/unseal refused: .* is not a custodian of this node.*\[UNSEAL_UNAUTHORIZED\]/);
      const one = await run(s.args("registry", "unseal", "--url", sealed.http, "--share", f1, "--as", "c1", "--json"));
      expect(json(one)).toEqual({ sealed: true, did, threshold: 2, received: 1, index: 1 });
      const two = await run(s.args("registry", "unseal", "--url", sealed.http, "--share", f2, "--as", "c2"));
      expect(two.stdout).toContain(`share #2 accepted: the node is unsealed and starting as ${did}`);

      await node.waitFor('"sealed":false', 20_000, "stdout");
      expect(jsonLines(node.stdout())[1]).toMatchObject({ registry: did, http: sealed.http, sealed: false });
      const agents = await run(s.args("agents", "--json"));
      expect(agents.code).toBe(0); // the registry answers on NATS now
      expect(await stat(join(s.keys, "registry.json")).catch(() => "absent")).toBe("absent");
      node.child.kill("SIGINT");
      expect((await node.exited).code).toBe(0);
    } finally {
      await reap();
    }
  }, 90_000);
});
