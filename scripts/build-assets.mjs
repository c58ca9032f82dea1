#!/usr/bin/env node
// The part of `npm run build` that tsc does not do (run before `tsc -b tsconfig.build.json`, and by vitest.config.ts):
// - copies schemas/*.json (the single source of truth) into packages/core/schemas/, which core's schema.ts imports and
//   the packed @plexus/core carries (the copy is not in git; stale files are removed);
// - copies every file in a package's src/ that is not TypeScript (e.g. identity's crypto-worker.mjs) to the same place
//   in its dist/.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Makes packages/core/schemas/ hold exactly schemas/*.json. */
export function syncSchemas() {
  const from = join(root, "schemas");
  const to = join(root, "packages", "core", "schemas");
  mkdirSync(to, { recursive: true });
  const names = readdirSync(from).filter((n) => n.endsWith(".json"));
  for (const n of readdirSync(to)) if (!names.includes(n)) rmSync(join(to, n));
  for (const n of names) {
    const src = join(from, n);
    const dst = join(to, n);
    if (!existsSync(dst) || !readFileSync(src).equals(readFileSync(dst))) copyFileSync(src, dst);
  }
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Copies each workspace's non-TypeScript files under src/ into dist/. */
export function copySourceAssets() {
  const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const ws of workspaces) {
    const src = join(root, ws, "src");
    if (!existsSync(src)) continue;
    for (const f of files(src).filter((f) => !f.endsWith(".ts"))) {
      const dst = join(root, ws, "dist", relative(src, f));
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(f, dst);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  syncSchemas();
  copySourceAssets();
}
