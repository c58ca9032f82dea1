/**
 * The build's conventions, for every workspace package (README "Packages and the build"):
 * - each `exports` entry (and the CLI's "#main" import) maps "@plexus/source" to a file under src/ that exists, and
 *   "types" / "default" to the same name under dist/ (.d.ts / .js), in that order: tests and the type check run the
 *   sources, everything else the build;
 * - tsconfig.build.json references exactly the @plexus packages the package's src/ imports, and package.json lists
 *   them as dependencies (what `npm pack` and `tsc -b` need);
 * - tests really run the sources: "@plexus/core" is the same module as core's src/index.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as core from "@plexus/core";
import * as coreSource from "../packages/core/src/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WORKSPACES = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] })
  .workspaces;

interface Pkg {
  name: string;
  exports?: Record<string, unknown>;
  imports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
}
const pkgOf = (ws: string) => JSON.parse(readFileSync(join(ROOT, ws, "package.json"), "utf8")) as Pkg;
const names = new Map(WORKSPACES.map((ws) => [pkgOf(ws).name, ws]));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The @plexus packages a workspace's src/ imports (static, re-exports and dynamic), itself excluded. */
function importedPackages(ws: string, self: string): string[] {
  const found = new Set<string>();
  for (const f of tsFiles(join(ROOT, ws, "src")))
    for (const m of readFileSync(f, "utf8").matchAll(/(?:from|import\()\s*"(@plexus\/[a-z0-9-]+)/g))
      if (m[1] !== self) found.add(m[1]!);
  return [...found].sort();
}

describe.each(WORKSPACES)("%s", (ws) => {
  const pkg = pkgOf(ws);

  it("every exports/imports entry: @plexus/source -> src/*.ts, types -> dist/*.d.ts, default -> dist/*.js", () => {
    const entries = Object.entries({ ...pkg.exports, ...pkg.imports });
    expect(entries.length).toBeGreaterThan(0);
    for (const [key, target] of entries) {
      expect(Object.keys(target as object), `${ws} ${key}`).toEqual(
        key.startsWith("#") ? ["@plexus/source", "default"] : ["@plexus/source", "types", "default"],
      );
      const t = target as Record<string, string>;
      const stem = /^\.\/src\/(.+)\.ts$/.exec(t["@plexus/source"] ?? "")?.[1];
      expect(stem, `${ws} ${key}: @plexus/source must be ./src/….ts`).toBeDefined();
      expect(existsSync(join(ROOT, ws, "src", `${stem}.ts`)), `${ws} ${key}: src/${stem}.ts exists`).toBe(true);
      if (t["types"] !== undefined) expect(t["types"]).toBe(`./dist/${stem}.d.ts`);
      expect(t["default"]).toBe(`./dist/${stem}.js`);
    }
  });

  it("tsconfig.build.json references, and package.json depends on, the @plexus packages src/ imports", () => {
    const used = importedPackages(ws, pkg.name);
    const config = JSON.parse(readFileSync(join(ROOT, ws, "tsconfig.build.json"), "utf8")) as {
      references: { path: string }[];
    };
    const referenced = config.references.map((r) => relative(ROOT, dirname(resolve(ROOT, ws, r.path)))).sort();
    expect(referenced).toEqual(used.map((n) => names.get(n)).sort());
    expect(
      used.filter((n) => pkg.dependencies?.[n] === undefined),
      `${ws}: imported but not in dependencies`,
    ).toEqual([]);
  });
});

it("the root tsconfig.build.json builds every workspace", () => {
  const config = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as {
    references: { path: string }[];
  };
  expect(config.references.map((r) => dirname(r.path)).sort()).toEqual([...WORKSPACES].sort());
});

it("tests import the sources, not dist/: @plexus/core is core's src/index.ts", () => {
  expect(core.PlexusError).toBe(coreSource.PlexusError);
  expect(import.meta.resolve("@plexus/core")).toBe(new URL("../packages/core/src/index.ts", import.meta.url).href);
});
