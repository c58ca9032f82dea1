/** Shared test helpers of the audit package. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let meshCounter = 0;

/** A mesh id of its own per test, so tests on one server never see each other's events. */
export function freshMesh(prefix = "a"): string {
  return `${prefix}${process.pid}-${++meshCounter}`;
}

export { until } from "@plexus/testing";

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A temporary folder, removed by the returned cleanup. */
export async function tempDir(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "plexus-audit-"));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
