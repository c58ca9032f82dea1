import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { compareVersions, findNatsServer, launchNatsServer, type NatsServerProcess } from "../src/launcher/index.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "plexus-launcher-test-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function launch(opts: Parameters<typeof launchNatsServer>[0]): Promise<NatsServerProcess> {
  const s = await launchNatsServer(opts);
  cleanups.push(() => s.stop());
  return s;
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("compareVersions", () => {
  it("orders dotted versions numerically", () => {
    expect(compareVersions("2.10.27", "2.10.0")).toBe(1);
    expect(compareVersions("v2.9.25", "2.10.0")).toBe(-1);
    expect(compareVersions("2.10", "2.10.0")).toBe(0);
    expect(compareVersions("2.11.0-beta.1", "2.11.0")).toBe(-1);
    expect(compareVersions("10.0.0", "9.99.99")).toBe(1);
  });
});

describe("findNatsServer", () => {
  it("reports a bad PLEXUS_NATS_SERVER as NATS_SERVER_NOT_FOUND with install advice", async () => {
    const saved = process.env.PLEXUS_NATS_SERVER;
    process.env.PLEXUS_NATS_SERVER = "/nonexistent/nats-server";
    try {
      const err = await findNatsServer().catch((e: unknown) => e);
      expect(isPlexusError(err, ErrorCode.NatsServerNotFound)).toBe(true);
      expect(String((err as Error).message)).toMatch(/bash scripts\/install-nats-server\.sh/);
    } finally {
      if (saved === undefined) delete process.env.PLEXUS_NATS_SERVER;
      else process.env.PLEXUS_NATS_SERVER = saved;
    }
  });

  it("honours PLEXUS_NATS_SERVER when it points at a server", async () => {
    const local = await findNatsServer();
    const saved = process.env.PLEXUS_NATS_SERVER;
    process.env.PLEXUS_NATS_SERVER = local.path;
    try {
      expect(await findNatsServer({ projectRoot: "/nonexistent" })).toEqual(local);
    } finally {
      if (saved === undefined) delete process.env.PLEXUS_NATS_SERVER;
      else process.env.PLEXUS_NATS_SERVER = saved;
    }
  });
});

describe("launchNatsServer", () => {
  it("fails with NATS_SERVER_FAILED and the server's output on a bad config", async () => {
    const err = await launchNatsServer({
      storeDir: join(await tempDir(), "s"),
      extraConfig: "this is { not valid",
    }).catch((e: unknown) => e);
    expect(isPlexusError(err, ErrorCode.NatsServerFailed)).toBe(true);
    expect((err as Error).message).toMatch(/last server output/);
  });

  it("fails with NATS_SERVER_FAILED when a fixed port is taken", async () => {
    const blocker = await listenOn(0);
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as { port: number }).port;
    const err = await launchNatsServer({ storeDir: join(await tempDir(), "s"), port }).catch((e: unknown) => e);
    expect(isPlexusError(err, ErrorCode.NatsServerFailed)).toBe(true);
    expect((err as { details?: { portInUse?: boolean } }).details?.portInUse).toBe(true);
  });

  it("restart() waits for its port to become free", async () => {
    const s = await launch({ storeDir: join(await tempDir(), "s") });
    const port = s.port;
    await s.kill();
    const blocker = await listenOn(port);
    setTimeout(() => blocker.close(), 1_000);
    await s.restart();
    expect(s.running).toBe(true);
    expect(s.port).toBe(port);
  });

  it("writes the server log to logFile and reports unexpected exits", async () => {
    const dir = await tempDir();
    const logFile = join(dir, "nats.log");
    const s = await launch({ storeDir: join(dir, "s"), logFile, syncInterval: "2m", maxPayload: 65536 });
    const exits: Array<{ expected: boolean; signal: string | null }> = [];
    s.onExit((e) => exits.push({ expected: e.expected, signal: e.signal }));
    expect(await readFile(logFile, "utf8")).toMatch(/Server is ready/);
    process.kill(s.pid, "SIGKILL"); // a crash nobody asked for
    await expect.poll(() => exits.length).toBe(1);
    expect(exits[0]).toEqual({ expected: false, signal: "SIGKILL" });
    expect(s.running).toBe(false);
  });

  it.each(["exit", "SIGTERM"])("does not outlive its parent (parent ends by %s)", async (how) => {
    const dir = await tempDir();
    const script = new URL("./fixtures/launch-and-exit.ts", import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--import", "tsx", script, join(dir, "s"), how], { timeout: 20_000 }, (err, out) =>
        out.trim() ? resolve(out) : reject(err ?? new Error("no output")),
      ),
    );
    const pid = Number(stdout.trim());
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false);
  });
});
