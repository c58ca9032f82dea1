/** Shared test helpers of the audit package. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let meshCounter = 0;

/** A mesh id of its own per test, so tests on one server never see each other's events. */
export function freshMesh(prefix = "a"): string {
  return `${prefix}${process.pid}-${++meshCounter}`;
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

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
