/**
 * A receiving agent in a child process (fixtures/listener.ts), for tests that SIGKILL it: `start()` resolves once it
 * listens; it appends one line per handled message (`<id> <redelivered>`) to a file that `lines()` reads back.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KeyPair } from "@plexus/identity";

const fixture = fileURLToPath(new URL("./fixtures/listener.ts", import.meta.url));

export interface ListenerProcess {
  start(): Promise<ChildProcess>;
  /** The lines the listener wrote so far, one per handled message. */
  lines(): string[];
  /** Removes its folder. */
  remove(): void;
}

export function listenerProcess(o: { key: KeyPair; url: string; mesh: string }): ListenerProcess {
  const dir = mkdtempSync(join(tmpdir(), "plexus-listener-"));
  const out = join(dir, "received.txt");
  const env = {
    ...process.env,
    PLEXUS_TEST_SEED: Buffer.from(o.key.exportSeed()).toString("hex"),
    PLEXUS_TEST_OUT: out,
    PLEXUS_NATS_URL: o.url,
    PLEXUS_MESH: o.mesh,
  };
  return {
    async start() {
      const child = spawn(process.execPath, ["--import", "tsx", fixture], {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`listener exited early (${code})`)));
      });
      return child;
    },
    lines: () =>
      existsSync(out)
        ? readFileSync(out, "utf8")
            .split("\n")
            .filter((l) => l.length > 0)
        : [],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
