/**
 * compose/docker-compose.yml read as compose reads it (no docker here), and checked against the CLI's own command
 * table and the cluster configuration: every `plexus` command and flag it runs exists; init runs first and
 * everything of the mesh waits for it to complete; the mesh is created with 3 replicas once the servers answer; a
 * sealer runs; restart policies and healthchecks everywhere; operator mode (nothing open, every server includes the
 * auth config init writes); /mcp reachable through every published registry port.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../nodes/cli/src/table/commands.js";
import { checkArgs, dispatch, findNode, nodeOptions } from "../nodes/cli/src/table/dispatch.js";
import {
  argv,
  COMPOSE_DIR,
  type ComposeService,
  dependsOn,
  healthUrl,
  plexusInvocations,
  readCompose,
} from "./compose-runner.js";

const { services } = readCompose();
const entries = Object.entries(services);
const natsServices = entries.filter(([, s]) => s.image?.startsWith("nats:"));
const plexusServices = entries.filter(([, s]) => plexusInvocations(s).length > 0);
/** Everything of the mesh: the servers and whatever runs plexus (EventStoreDB, a test backend, is not). */
const meshServices = [...natsServices, ...plexusServices];
const oneShot = (s: ComposeService) => s.restart === "no";
const runs = (s: ComposeService, ...words: string[]) =>
  plexusInvocations(s).some((a) => words.every((w, i) => a[i] === w));
const flag = (args: string[], name: string): string[] =>
  args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1] as string] : a.startsWith(`--${name}=`) ? [a] : []));
const clusterConf = readFileSync(join(COMPOSE_DIR, "nats-cluster.conf"), "utf8");

/** Fails unless `plexus ARGS` names a command of the table that runs, with options and arguments it takes. */
function expectCommand(args: string[], what: string): void {
  const top = findNode(COMMANDS, args[0] as string);
  expect(top, what).toBeDefined();
  const { path, argv: rest } = dispatch(top as NonNullable<typeof top>, args.slice(1));
  const node = path.at(-1);
  expect(node?.load, `${what}: names a command that runs`).toBeDefined();
  const parsed = parseArgs({ args: rest, options: nodeOptions(path), allowPositionals: true, strict: true });
  checkArgs(node as NonNullable<typeof node>, parsed.positionals, args[0] as string);
}

describe("compose/docker-compose.yml", () => {
  it("runs only plexus commands and flags the CLI's command table has, with the arguments they take", () => {
    const invocations = plexusServices.flatMap(([name, s]) => plexusInvocations(s).map((a) => [name, a] as const));
    expect(invocations.length).toBeGreaterThanOrEqual(7);
    for (const [name, args] of invocations) expectCommand(args, `${name}: plexus ${args.join(" ")}`);
  });

  it("and so does README's Run on a cluster, step by step", () => {
    const readme = readFileSync(join(COMPOSE_DIR, "..", "README.md"), "utf8");
    const section = /^## Run on a cluster\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const lines = blocks
      .join("\n")
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((l) => l.replace(/\s#.*$/, "").trim())
      .filter((l) => l.startsWith("plexus "));
    for (const l of lines) expectCommand(l.split(/\s+/).slice(1), `README: ${l}`);
    expect(lines.map((l) => l.split(/\s+/).slice(1, 3).join(" "))).toEqual([
      "init --nats-auth",
      "mesh create",
      "keys new",
      "registry start",
      "audit seal",
      "gateway start",
      "agent join",
    ]);
  });

  it("runs init first: a one-shot plexus init that every service of the mesh waits for to complete", () => {
    const init = services["init"];
    expect(init && oneShot(init)).toBe(true);
    expect(runs(init as ComposeService, "init")).toBe(true);
    expect(Object.keys(dependsOn(init as ComposeService))).toEqual([]);
    for (const [name, s] of meshServices) {
      if (name === "init") continue;
      expect(dependsOn(s)["init"], name).toBe("service_completed_successfully");
    }
  });

  it("creates the mesh with 3 replicas once every server is healthy; the nodes wait for that", () => {
    const creators = plexusServices.filter(([, s]) => runs(s, "mesh", "create"));
    expect(creators.length).toBe(1);
    const [meshName, mesh] = creators[0] as [string, ComposeService];
    const args = plexusInvocations(mesh)[0] as string[];
    expect(flag(args, "replicas")).toEqual(["3"]);
    expect(oneShot(mesh)).toBe(true);
    expect(natsServices.length).toBe(3);
    for (const [nats] of natsServices) expect(dependsOn(mesh)[nats], nats).toBe("service_healthy");
    for (const [name, s] of plexusServices) {
      if (oneShot(s)) continue;
      expect(dependsOn(s)[meshName], name).toBe("service_completed_successfully");
    }
    // The three servers form one cluster: each route names a server of this file.
    const routes = [...clusterConf.matchAll(/nats:\/\/([a-z0-9-]+):6222/g)].map((m) => m[1]);
    expect(routes.sort()).toEqual(natsServices.map(([n]) => n).sort());
    // Every node reaches every server.
    for (const [name, s] of plexusServices) {
      for (const args of plexusInvocations(s)) {
        for (const urls of flag(args, "nats"))
          expect(
            urls.split(",").map((u) => /\/\/([^:]+)/.exec(u)?.[1]),
            name,
          ).toEqual(natsServices.map(([n]) => n));
      }
    }
  });

  it("runs an audit sealer, two registry nodes and the gateway, on Node 22", () => {
    expect(plexusServices.filter(([, s]) => runs(s, "audit", "seal")).length).toBe(1);
    expect(plexusServices.filter(([, s]) => runs(s, "registry", "start")).length).toBe(2);
    expect(plexusServices.filter(([, s]) => runs(s, "gateway", "start")).length).toBe(1);
    for (const [name, s] of plexusServices) expect(s.image, name).toMatch(/^node:22(-|$)/);
  });

  it("restarts every long-running service, and gives each a healthcheck on what it serves", () => {
    for (const [name, s] of entries) {
      if (oneShot(s)) continue;
      expect(["unless-stopped", "on-failure", "always"], name).toContain(s.restart);
    }
    for (const [name, s] of natsServices)
      expect(healthUrl(s), name).toBe("http://127.0.0.1:8222/healthz?js-enabled-only=true");
    for (const [name, s] of plexusServices) {
      if (oneShot(s)) continue;
      const args = plexusInvocations(s)[0] as string[];
      const port = /:(\d+)$/.exec(flag(args, "http")[0] ?? "")?.[1];
      const path = runs(s, "gateway", "start") ? "healthz" : "readyz";
      expect(healthUrl(s), name).toBe(`http://127.0.0.1:${port}/${path}`);
    }
  });

  it("runs NATS in operator mode: every server includes the auth config init writes, nothing runs open", () => {
    expect(clusterConf).toMatch(/^include auth\/operator\.server\.conf$/m);
    const init = services["init"] as ComposeService;
    const script = argv(init).join(" ");
    for (const [name, s] of natsServices) {
      const conf = (s.volumes ?? []).find((v) => v.startsWith("./nats-cluster.conf:"));
      const confDir = conf?.split(":")[1]?.replace(/\/[^/]+$/, "");
      const auth = (s.volumes ?? []).find((v) => v.split(":")[1] === `${confDir}/auth`);
      expect(auth, `${name} mounts the include next to its configuration`).toBeDefined();
      const volume = auth?.split(":")[0] as string;
      const target = (init.volumes ?? []).find((v) => v.startsWith(`${volume}:`))?.split(":")[1];
      expect(target, `init writes the ${volume} volume`).toBeDefined();
      expect(script).toContain(`${target}/operator.server.conf`);
    }
    for (const [name, s] of plexusServices) {
      for (const args of plexusInvocations(s)) {
        expect(args, name).not.toContain("--no-auth");
        if (["init", "mesh", "registry", "audit", "gateway"].includes(args[0] as string)) {
          const auth = flag(args, "nats-auth");
          expect(auth.length, `${name}: ${args.join(" ")}`).toBe(1);
          expect(auth[0]).not.toBe("off");
        }
      }
    }
  });

  it("serves /mcp through every published registry port (the Host check knows the published address)", () => {
    for (const [name, s] of plexusServices.filter(([, s]) => runs(s, "registry", "start"))) {
      const args = plexusInvocations(s)[0] as string[];
      const hosts = flag(args, "public-url").map((u) => new URL(u).host);
      for (const p of s.ports ?? []) {
        const [host, container] = p.split(":");
        expect(host === container || hosts.includes(`localhost:${host}`), `${name} ${p}`).toBe(true);
      }
      expect(hosts, name).toContain(`${name}:7420`);
    }
  });
});
