/** What the CLI test suites share to run `plexus` as a child process. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "..", "bin", "plexus.js");

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A child environment without the caller's PLEXUS_* settings (the nats-server location stays). */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("PLEXUS_") && k !== "PLEXUS_NATS_SERVER") delete env[k];
  return env;
}

export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);
}
