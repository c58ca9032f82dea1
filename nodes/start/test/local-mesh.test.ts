/**
 * startLocalMesh as `plexus up` uses it, without the CLI: every part starts and answers, stop() takes them all down,
 * a taken port names its part, and nats-server dying on its own is reported through `crashed`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@plexus/identity";
import { afterEach, describe, expect, it } from "vitest";
import { portInUsePart, startLocalMesh, type LocalMesh, type LocalMeshOptions, type NodeLog } from "../src/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function recorder(): NodeLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (l) => void lines.push(`info ${l}`),
    warn: (l) => void lines.push(`warn ${l}`),
    error: (l) => void lines.push(`error ${l}`),
  };
}

async function start(
  extra: Partial<LocalMeshOptions> = {},
): Promise<{ mesh: LocalMesh; log: ReturnType<typeof recorder> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "plexus-local-mesh-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const key = generateKeyPair();
  const log = recorder();
  const mesh = await startLocalMesh({
    mesh: "localtest",
    dataDir,
    port: 0,
    host: "127.0.0.1",
    sealer: { key },
    registry: { key, http: { host: "127.0.0.1", port: 0 } },
    gateway: { key: generateKeyPair(), http: { host: "127.0.0.1", port: 0 } },
    log,
    ...extra,
  });
  cleanups.push(() => mesh.stop());
  return { mesh, log };
}

describe("startLocalMesh", { timeout: 60_000 }, () => {
  it("starts nats-server, the sealer, the registry (with /mcp) and the gateway; stop() takes them all down", async () => {
    const { mesh } = await start();
    expect(mesh.stream).toBe("PLEXUS_LOCALTEST");
    expect(mesh.sealer?.status().mesh).toBe("localtest");
    const ready = await fetch(`${mesh.registry?.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(await ready.json())).toContain("sealer");
    // /mcp is there (injected): a bare GET is refused by the MCP handler, not a 404 from the registry's router.
    expect((await fetch(`${mesh.registry?.httpUrl}/mcp`)).status).not.toBe(404);
    expect((await fetch(`${mesh.gateway?.url}/agents`)).status).toBe(200);

    await mesh.stop();
    expect(mesh.server.running).toBe(false);
    // A stop is not a crash: past the launcher's 250 ms grace, `crashed` still has not settled.
    const after = await Promise.race([mesh.crashed, new Promise((r) => setTimeout(() => r("not crashed"), 600))]);
    expect(after).toBe("not crashed");
    await expect(fetch(`${mesh.registry?.httpUrl ?? "http://127.0.0.1:1"}/healthz`)).rejects.toThrow();
  });

  it("names the part whose port is taken: nats, and the gateway's (a warning when asked to skip it)", async () => {
    const { mesh: first } = await start({ registry: undefined, gateway: undefined, sealer: undefined });
    const port = Number(new URL(first.url).port);
    const taken = await start({ port, registry: undefined, gateway: undefined, sealer: undefined }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(portInUsePart(taken)).toBe("nats");

    const { mesh: withGateway } = await start({ registry: undefined, sealer: undefined });
    const gw = new URL(withGateway.gateway?.url ?? "");
    const gatewayTaken = { key: generateKeyPair(), http: { host: "127.0.0.1", port: Number(gw.port) } };
    const refused = await start({ registry: undefined, sealer: undefined, gateway: gatewayTaken }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(portInUsePart(refused)).toBe("gateway-http");
    const { mesh: skipped, log } = await start({
      registry: undefined,
      sealer: undefined,
      gateway: { ...gatewayTaken, skipIfPortInUse: { hint: "; try another" } },
    });
    expect(skipped.gateway).toBeUndefined();
    expect(log.lines.some((l) => l.startsWith("warn no A2A gateway: port") && l.endsWith("; try another"))).toBe(true);
  });

  it("reports nats-server dying on its own through `crashed`, and not a stop", async () => {
    const { mesh } = await start({ registry: undefined, gateway: undefined, sealer: undefined });
    process.kill(mesh.server.pid, "SIGKILL");
    expect(await mesh.crashed).toMatch(/^nats-server exited unexpectedly \(signal SIGKILL\)$/);
  });
});
