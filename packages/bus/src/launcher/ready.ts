/** Startup probes: the ports file nats-server writes once it listens, and the INFO line a client receives. */
import { connect } from "node:net";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads the client port from `<exe>_<pid>.ports` in `dir` (JSON `{"nats": ["nats://127.0.0.1:PORT"]}`).
 * Returns undefined while the file is missing or still being written.
 */
export async function readPortsFile(dir: string, pid: number): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.endsWith(`_${pid}.ports`));
  if (!name) return undefined;
  try {
    const parsed = JSON.parse(await readFile(join(dir, name), "utf8")) as { nats?: unknown };
    const first = Array.isArray(parsed.nats) ? parsed.nats[0] : undefined;
    const m = typeof first === "string" ? /:(\d+)\/?$/.exec(first) : null;
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ServerInfo {
  server_id?: string;
  version?: string;
  jetstream?: boolean;
  max_payload?: number;
  [key: string]: unknown;
}

/** Opens a TCP connection, reads the server's `INFO {...}` greeting and closes. Rejects on error or after timeoutMs. */
export function probeInfo(host: string, port: number, timeoutMs = 2_000): Promise<ServerInfo> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buf = "";
    const done = (err: Error | null, info?: ServerInfo) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(info ?? {});
    };
    const timer = setTimeout(() => done(new Error(`no INFO from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("error", (err) => done(err));
    socket.on("close", () => done(new Error(`connection to ${host}:${port} closed before INFO`)));
    socket.on("data", (chunk: string) => {
      buf += chunk;
      const end = buf.indexOf("\r\n");
      if (end < 0) return;
      const line = buf.slice(0, end);
      if (!line.startsWith("INFO ")) return done(new Error(`unexpected greeting: ${line.slice(0, 80)}`));
      try {
        done(null, JSON.parse(line.slice(5)) as ServerInfo);
      } catch (err) {
        done(err as Error);
      }
    });
  });
}
