/** The CLI's version, read from its package.json (a light module: `plexus --version` imports nothing else). */
import { readFileSync } from "node:fs";

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

export const VERSION_ARGS: readonly string[] = ["--version", "-V", "-v", "version"];
