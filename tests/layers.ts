/**
 * The layer rule as a check (issue 15): dependencies point down, nodes → registry → protocols → packages, and core
 * depends on nothing of ours. A workspace's layer is its folder; it may depend on a workspace of a lower layer, or of
 * its own layer as long as the package graph stays acyclic (protocols: a2a and mcp on sdk, sdk on acp and anp;
 * packages: bus on core, audit on bus). Checked both where they are declared (package.json dependencies and
 * devDependencies: a dev-dependency on a higher layer is what made the registry ↔ mcp cycle) and where they are used
 * (every import specifier of every .ts file under src/ and test/): a relative import stays inside its package, an
 * `@plexus/*` import names the package itself or a declared dependency (from src/: `dependencies` only).
 *
 * Pure functions over a description of the workspaces (`checkLayers`), so a test can feed it a synthetic graph that
 * must fail; `readWorkspaces` builds the description from the repository.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

export interface SourceImport {
  /** The importing file, relative to the workspace. */
  file: string;
  specifier: string;
}

export interface Workspace {
  name: string;
  /** The workspace folder relative to the repository root: packages/core, protocols/sdk, registry, nodes/cli. */
  dir: string;
  dependencies: string[];
  devDependencies: string[];
  imports: SourceImport[];
}

/** The layers, lowest first; a workspace's layer is the first folder of its path. */
export const LAYERS = ["packages", "protocols", "registry", "nodes"] as const;
const CORE = "packages/core";
/**
 * The one place outside a package a relative import may reach: the repository's schemas/ (the single source of truth
 * for what crosses a process boundary), which core compiles.
 */
const SHARED_FOLDERS = ["schemas/"];

export function layerOf(dir: string): number {
  const top = dir.split("/")[0] ?? "";
  const i = (LAYERS as readonly string[]).indexOf(top);
  if (i < 0) throw new Error(`${dir}: not in a layer folder (${LAYERS.join(", ")})`);
  return i;
}

const ours = (name: string) => name.startsWith("@plexus/");
/** @plexus/audit/internal → @plexus/audit. */
const packageOf = (specifier: string) => specifier.split("/").slice(0, 2).join("/");

/** Every problem found; empty when the rule holds. */
export function checkLayers(workspaces: readonly Workspace[]): string[] {
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const problems: string[] = [];
  for (const w of workspaces) {
    for (const dep of [...w.dependencies, ...w.devDependencies].filter(ours)) {
      const target = byName.get(dep);
      if (!target) problems.push(`${w.name} depends on ${dep}, which is no workspace`);
      else problems.push(...edgeProblems(w, target, `depends on`));
    }
    problems.push(...importProblems(w, byName));
  }
  problems.push(...cycles(workspaces).map((c) => `package cycle: ${c.join(" → ")}`));
  return problems;
}

function edgeProblems(from: Workspace, to: Workspace, how: string): string[] {
  if (from.dir === CORE) return [`${from.name} ${how} ${to.name}: core depends on nothing of ours`];
  if (layerOf(to.dir) > layerOf(from.dir))
    return [`${from.name} (${from.dir}) ${how} ${to.name} (${to.dir}): a higher layer`];
  return [];
}

function importProblems(w: Workspace, byName: ReadonlyMap<string, Workspace>): string[] {
  const problems: string[] = [];
  for (const { file, specifier } of w.imports) {
    const where = `${w.dir}/${file}`;
    if (specifier.startsWith(".")) {
      const target = join(dirname(file), specifier);
      const fromRoot = join(w.dir, target).split(sep).join("/");
      if (target.startsWith("..") && !SHARED_FOLDERS.some((f) => fromRoot.startsWith(f)))
        problems.push(`${where} imports ${specifier}: outside its package`);
      continue;
    }
    if (!ours(specifier)) continue;
    const name = packageOf(specifier);
    if (name === w.name) continue;
    const declared = file.startsWith("src/") ? w.dependencies : [...w.dependencies, ...w.devDependencies];
    if (!declared.includes(name))
      problems.push(
        `${where} imports ${specifier}, not a declared ${file.startsWith("src/") ? "dependency" : "(dev) dependency"}`,
      );
    const target = byName.get(name);
    if (target) problems.push(...edgeProblems(w, target, `imports (${where})`));
  }
  return problems;
}

/** The cycles of the declared package graph (dependencies and devDependencies), each as a path that returns to its start. */
export function cycles(workspaces: readonly Workspace[]): string[][] {
  const edges = new Map(workspaces.map((w) => [w.name, [...w.dependencies, ...w.devDependencies].filter(ours)]));
  const state = new Map<string, "open" | "done">();
  const found: string[][] = [];
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "open") {
      found.push([...path.slice(path.indexOf(name)), name]);
      return;
    }
    state.set(name, "open");
    for (const next of edges.get(name) ?? []) visit(next, [...path, name]);
    state.set(name, "done");
  };
  for (const w of workspaces) visit(w.name, []);
  return found;
}

/** Import specifiers of a TypeScript source: static, re-export, side-effect and dynamic imports. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm))
    found.push(m[1] as string);
  return found;
}

/** The repository's workspaces as `checkLayers` reads them. */
export function readWorkspaces(root: string): Workspace[] {
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] };
  return rootPkg.workspaces.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const base = resolve(root, dir);
    const files = ["src", "test"].flatMap((d) => tsFiles(join(base, d)));
    return {
      name: pkg.name,
      dir,
      dependencies: Object.keys(pkg.dependencies ?? {}),
      devDependencies: Object.keys(pkg.devDependencies ?? {}),
      imports: files.flatMap((f) =>
        importSpecifiers(readFileSync(f, "utf8")).map((specifier) => ({
          file: relative(base, f).split(sep).join("/"),
          specifier,
        })),
      ),
    };
  });
}

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e);
    if (e === "node_modules" || e === "dist") return [];
    if (statSync(p).isDirectory()) return tsFiles(p);
    return /\.(m|c)?tsx?$/.test(e) && !e.endsWith(".d.ts") ? [p] : [];
  });
}
