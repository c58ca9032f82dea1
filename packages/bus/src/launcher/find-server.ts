/**
 * Locates a nats-server binary and reads its version.
 * Search order mirrors scripts/install-nats-server.sh: $PLEXUS_NATS_SERVER, <projectRoot>/.nats/bin/nats-server,
 * PATH, /usr/sbin/nats-server, /usr/local/bin/nats-server. The first server at version 2.10 or newer wins;
 * an older one is returned only when nothing newer exists.
 */
import { execFile } from "node:child_process";
import { access, constants, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCode, PlexusError } from "@plexus/core";

export interface FindNatsServerOptions {
  /** Folder holding `.nats/bin/nats-server`; default: the nearest ancestor containing scripts/install-nats-server.sh. */
  projectRoot?: string;
}

export interface FoundNatsServer {
  path: string;
  version: string;
}

export const MIN_RECOMMENDED_VERSION = "2.10.0";
const INSTALL_HINT = "run `bash scripts/install-nats-server.sh` or set PLEXUS_NATS_SERVER=/path/to/nats-server";

/** Compares dotted versions ("v2.10.27", "2.9", "2.11.0-beta.1"); returns -1, 0 or 1. A pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = "", pre] = v.trim().replace(/^v/i, "").split(/[-+]/, 2);
    return { nums: core.split(".").map((p) => Number.parseInt(p, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** Runs `<path> --version` and returns e.g. "2.10.27"; throws if the output carries no version. */
export function readNatsServerVersion(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ["--version"], { timeout: 5_000, encoding: "utf8" }, (err, stdout, stderr) => {
      const m = /v?(\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?)/.exec(`${stdout}\n${stderr}`);
      if (m?.[1]) resolve(m[1]);
      else reject(err ?? new Error(`could not parse a version from \`${path} --version\`: ${stdout || stderr}`));
    });
  });
}

/** Nearest ancestor of this file's folder that contains scripts/install-nats-server.sh, or undefined. */
export function defaultProjectRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "scripts", "install-nats-server.sh"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function candidatePaths(projectRoot: string | undefined): string[] {
  const list: string[] = [];
  if (projectRoot) list.push(join(projectRoot, ".nats", "bin", "nats-server"));
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir) list.push(join(dir, "nats-server"));
  list.push("/usr/sbin/nats-server", "/usr/local/bin/nats-server");
  return [...new Set(list)];
}

export async function findNatsServer(opts: FindNatsServerOptions = {}): Promise<FoundNatsServer> {
  const fromEnv = process.env.PLEXUS_NATS_SERVER;
  if (fromEnv) {
    // An explicit setting that does not work is a configuration mistake: report it rather than silently fall back.
    if (!(await isExecutableFile(fromEnv))) {
      throw new PlexusError(
        ErrorCode.NatsServerNotFound,
        `PLEXUS_NATS_SERVER=${fromEnv} is not an executable file; fix it, or unset it and ${INSTALL_HINT}`,
        { details: { path: fromEnv } },
      );
    }
    try {
      return { path: fromEnv, version: await readNatsServerVersion(fromEnv) };
    } catch (cause) {
      throw new PlexusError(
        ErrorCode.NatsServerNotFound,
        `PLEXUS_NATS_SERVER=${fromEnv} did not report a version; ${INSTALL_HINT}`,
        {
          cause,
          details: { path: fromEnv },
        },
      );
    }
  }

  const tried = candidatePaths(opts.projectRoot ?? defaultProjectRoot());
  let fallback: FoundNatsServer | undefined;
  for (const path of tried) {
    if (!(await isExecutableFile(path))) continue;
    let version: string;
    try {
      version = await readNatsServerVersion(path);
    } catch {
      continue;
    }
    if (compareVersions(version, MIN_RECOMMENDED_VERSION) >= 0) return { path, version };
    fallback ??= { path, version };
  }
  if (fallback) return fallback;
  throw new PlexusError(ErrorCode.NatsServerNotFound, `nats-server was not found; ${INSTALL_HINT}`, {
    details: { tried },
  });
}
