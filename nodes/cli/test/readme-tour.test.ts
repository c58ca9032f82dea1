/**
 * The README's five-minute tour, run as a user runs it: the sh block between `<!-- tour:begin` and `<!-- tour:end -->`
 * in README.md, taken from the file at test time (so the doc and the test cannot drift apart), run by bash with `npx
 * plexus` resolving to this checkout, against `plexus up` as `npm start` runs it (its own HOME, free ports instead of
 * 4222/7420/7430 so it collides with nothing). Twice in a row from that clean state, and after each run:
 * - every step exited 0 (bash -e) and printed what the README says it does (per step: the output between the step's
 *   line and the next, from a DEBUG trap naming each line as bash reaches it);
 * - the checkout's `git status --porcelain` and the files under HOME (outside the JetStream data) are as before, and the
 *   folder the tour made is gone: it leaves nothing behind, and the second run, with new keys, passes as the first;
 * - no process the tour started is left (found by an environment marker only the tour's processes carry), and the
 *   registry shows the agents it started as no longer present;
 * after both, `plexus up` stops on SIGTERM and its three ports are free.
 * A run takes about two minutes here: npx costs ~2 s of CPU per command on 2 shared cores.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, cli, firstJson, json, type Running } from "./cli-process.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BEGIN = "<!-- tour:begin";
const END = "<!-- tour:end -->";

/** The tour's sh code, exactly as README.md shows it. */
export function tourScript(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  const fenced = /```sh\n([\s\S]*?)```/.exec(readme.slice(begin, end));
  if (!fenced) throw new Error("the tour section of README.md holds no ```sh block");
  return fenced[1] as string;
}

/** The 1-based line of the script whose command starts with `command` (before its comment); exactly one. */
function lineOf(script: string, command: string): number {
  const found = script
    .split("\n")
    .map((text, i) => ({ text: text.trim(), line: i + 1 }))
    .filter(
      (l) =>
        l.text.startsWith(command) &&
        (l.text.length === command.length || /[\s;&|]/.test(l.text[command.length] as string)),
    );
  if (found.length !== 1) throw new Error(`${found.length} lines of the tour start with ${JSON.stringify(command)}`);
  return (found[0] as { line: number }).line;
}

/** The log cut by the trap's markers: what was written from each line's start until the next line's. */
function segments(log: string): Map<number, string> {
  const byLine = new Map<number, string>();
  // A marker may follow output that did not end its line (curl's): it is found anywhere, not only at a line start.
  const parts = log.split(/@@tour (\d+)\n/);
  byLine.set(0, parts[0] as string);
  for (let i = 1; i < parts.length; i += 2) {
    const line = Number(parts[i]);
    byLine.set(line, `${byLine.get(line) ?? ""}${parts[i + 1] ?? ""}`);
  }
  return byLine;
}

/** Files under `dir` (relative paths), leaving out the folders `skip` names. */
async function files(dir: string, skip: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (skip.includes(relative(dir, path))) continue;
      if (e.isDirectory()) await walk(path);
      else out.push(relative(dir, path));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Pids of live processes whose environment holds `marker` (a zombie's environment reads empty). */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const env = await readFile(`/proc/${name}/environ`, "utf8").catch(() => "");
    if (env.split("\0").includes(marker)) pids.push(Number(name));
  }
  return pids;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const server = createServer();
    server.once("error", () => res(false));
    server.listen(port, "127.0.0.1", () => server.close(() => res(true)));
  });
}

const shortDid = (did: string) => `did:key:${did.slice(8, 16)}…${did.slice(-4)}`;
const gitStatus = () =>
  execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: ROOT, encoding: "utf8" });

interface UpInfo {
  nats: string;
  http: string;
  a2a: string;
  auth: string;
}

describe("the README tour", { timeout: 900_000 }, () => {
  let work = "";
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "plexus-tour-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("runs as written, twice in a row from a clean state, leaving nothing behind", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const script = tourScript(readme);
    const scriptFile = join(work, "tour.sh");
    await writeFile(scriptFile, script);
    // Each line announces itself as bash reaches it; stdout and stderr go to one file, in order.
    const bashEnv = join(work, "trace.bash");
    await writeFile(bashEnv, `trap 'echo "@@tour $LINENO"' DEBUG\n`);

    const home = join(work, "home");
    const plexus = join(home, ".plexus");
    await mkdir(home, { recursive: true });
    const { run, start, reap } = cli();
    let up: Running | undefined;
    try {
      // What `npm start` runs, with that user's default folders (under HOME) and free ports.
      up = start([
        "up",
        "--data",
        join(plexus, "data"),
        "--keys",
        join(plexus, "keys"),
        "--nats-port",
        "0",
        "--http",
        "127.0.0.1:0",
        "--gateway-http",
        "127.0.0.1:0",
        "--json",
      ]);
      const info = await firstJson<UpInfo>(up);
      expect(info.auth).toBe(join(plexus, "nats"));
      await expect
        .poll(async () => (await fetch(`${info.http}/readyz`)).status, { timeout: 60_000, interval: 250 })
        .toBe(200);
      const operator = ["--nats", info.nats, "--keys", join(plexus, "keys"), "--nats-auth", info.auth];

      const dids: string[] = [];
      for (const round of [1, 2]) {
        const git = gitStatus();
        const homeFiles = await files(home, [".plexus/data"]);
        const marker = `PLEXUS_README_TOUR_RUN=${randomUUID()}`;
        const logFile = join(work, `tour-${round}.log`);
        const fd = openSync(logFile, "w");
        const code = await new Promise<number | null>((res) => {
          const env = {
            ...childEnv(),
            HOME: home,
            PLEXUS_NATS_URL: info.nats,
            REGISTRY: info.http,
            BASH_ENV: bashEnv,
            [marker.split("=")[0] as string]: marker.split("=")[1],
            // npx finds `plexus` in this checkout (cwd) and must never look anything up in the npm registry; its cache
            // (where it links the checkout) is the test's own.
            npm_config_cache: join(work, "npm-cache"),
            npm_config_offline: "true",
            npm_config_update_notifier: "false",
            npm_config_fund: "false",
          };
          const bash = spawn("bash", ["-euo", "pipefail", scriptFile], { cwd: ROOT, env, stdio: ["ignore", fd, fd] });
          bash.on("exit", (c) => res(c));
        });
        closeSync(fd);
        const log = await readFile(logFile, "utf8");
        expect(code, `tour run ${round} failed:\n${log}`).toBe(0);

        const seg = segments(log);
        const at = (command: string) => seg.get(lineOf(script, command)) ?? "";
        const alice = /^(did:key:z6Mk\w+)$/m.exec(at("npx plexus keys new alice"))?.[1];
        const bob = /^(did:key:z6Mk\w+)$/m.exec(at("npx plexus keys new bob"))?.[1];
        expect(alice, log).toBeDefined();
        expect(bob, log).toBeDefined();
        const [aliceDid, bobDid] = [alice as string, bob as string];
        dids.push(aliceDid, bobDid);
        // Keys go to the tour's own folder, not to the checkout or ~/.plexus/keys.
        const tourDir = /created key "alice" in (\S+)\/keys\/alice\.json/.exec(
          at("npx plexus keys new alice"),
        )?.[1] as string;
        expect(tourDir, log).toBeDefined();
        expect(relative(ROOT, tourDir).startsWith("..")).toBe(true);
        expect(relative(plexus, tourDir).startsWith("..")).toBe(true);

        expect(at(`npx plexus send --as alice --to "$BOB"`)).toMatch(/stream position \d+/);
        expect(at("npx plexus listen --as bob --count 1")).toMatch(
          /type task\.request .*\{"task":"summarise","url":"https:\/\/example\.com"\}/,
        );
        expect(at('npx plexus send --as alice --to bob "hello" --await-receipt')).toMatch(
          new RegExp(`processed by ${shortDid(bobDid)}`),
        );
        // The subscriber, ready before the first publish, prints both messages (whenever its lines reach the log).
        const news = log
          .split("\n")
          .filter((l) => l.startsWith("{") && l.includes('"topic":"news"'))
          .map((l) => JSON.parse(l) as { body: unknown; from: string });
        expect(news.map((m) => m.body)).toEqual([{ headline: "plexus is up" }, "second"]);
        expect(news.every((m) => m.from === aliceDid)).toBe(true);
        expect(at("npx plexus rejected")).toMatch(/rejected/);
        expect(at("npx plexus dead-letters")).toMatch(/dead letters/);
        const present = at("npx plexus agents ");
        expect(present).toMatch(new RegExp(`${shortDid(aliceDid)}\\s+alice\\s+alive`));
        expect(present).toMatch(new RegExp(`${shortDid(bobDid)}\\s+bob\\s+alive`));
        const discovered = JSON.parse(at("npx plexus discover --capability summarise --json").trim()) as {
          did: string;
        }[];
        expect(discovered.map((d) => d.did)).toEqual(expect.arrayContaining([aliceDid, bobDid]));
        const viaHttp = JSON.parse(at("curl -s").trim()) as { data: { did: string }[]; asOf: { seq: number } };
        expect(viaHttp.data.map((d) => d.did)).toEqual(expect.arrayContaining([bobDid]));
        expect(at("npx plexus rate --as alice bob")).toMatch(
          new RegExp(`rated ${shortDid(bobDid)} 0\\.9 in conversation c1`),
        );
        expect(at("npx plexus reputation bob")).toMatch(new RegExp(`^did\\s+${bobDid}\\n(.*\\n)*score\\s+\\d`, "m"));
        // Stopped by `kill $(jobs -p)` (their npx wrappers): both left before the tour went on.
        const stopping = at("kill $(jobs -p)") + at('stopped "$TOUR/bob.ready"');
        expect(stopping).toContain('bob left mesh "default"');
        expect(stopping).toContain('alice left mesh "default"');
        const all = at("npx plexus agents --all");
        expect(all).toMatch(new RegExp(`${shortDid(aliceDid)}\\s+alice\\s+left`));
        expect(all).toMatch(new RegExp(`${shortDid(bobDid)}\\s+bob\\s+left`));
        expect(at("npx plexus audit status")).toMatch(/^chain\s+\d+ links/m);
        expect(at("npx plexus audit verify ")).toMatch(/^ok: verified \d+ events of mesh "default"/m);
        expect(at("npx plexus audit export")).toMatch(/^ok: verified \d+ events of \S+audit\.jsonl/m);
        expect(at("npx plexus audit query")).toMatch(/matches in mesh "default"/);

        // Nothing left: no file, no process, no agent.
        expect(gitStatus()).toBe(git);
        expect(await files(home, [".plexus/data"])).toEqual(homeFiles);
        expect(
          await stat(tourDir).then(
            () => true,
            () => false,
          ),
          `the tour left ${tourDir}`,
        ).toBe(false);
        await expect.poll(() => processesWith(marker), { timeout: 10_000, interval: 200 }).toEqual([]);
        const agents = json<{ did: string; present: boolean }[]>(await run(["agents", "--all", "--json", ...operator]));
        for (const did of [aliceDid, bobDid])
          expect(agents.find((a) => a.did === did)).toMatchObject({ present: false });
      }
      // The second run made its own keys: it did not lean on the first.
      expect(new Set(dids).size).toBe(4);

      up.child.kill("SIGTERM");
      const stopped = await up.exited;
      expect(stopped.code, stopped.stderr).toBe(0);
      for (const url of [info.nats, info.http, info.a2a])
        expect(await portFree(Number(new URL(url).port)), url).toBe(true);
    } finally {
      // A failed run still stops up cleanly (SIGKILL, reap's, would leave its nats-server behind).
      if (up && up.child.exitCode === null && up.child.signalCode === null) {
        up.child.kill("SIGTERM");
        await Promise.race([up.exited, new Promise((r) => setTimeout(r, 15_000))]);
      }
      await reap();
    }
  });
});
