/** The layer rule holds in this repository, and the checker fails on an upward edge, a cycle and a stray import. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkLayers, importSpecifiers, readWorkspaces, type Workspace } from "./layers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const ws = (name: string, dir: string, dependencies: string[] = [], more: Partial<Workspace> = {}): Workspace => ({
  name,
  dir,
  dependencies,
  devDependencies: [],
  imports: [],
  ...more,
});

describe("layers", () => {
  it("hold in this repository: dependencies point down, imports stay declared, the package graph is acyclic", () => {
    const workspaces = readWorkspaces(ROOT);
    expect(workspaces.length).toBeGreaterThan(10);
    expect(workspaces.some((w) => w.imports.length > 0)).toBe(true);
    expect(checkLayers(workspaces)).toEqual([]);
  });

  it("fail on an upward dependency, a dev-dependency cycle, a dependency of core, and imports the package.json does not show", () => {
    const problems = checkLayers([
      ws("@plexus/core", "packages/core", ["@plexus/bus"]),
      ws("@plexus/bus", "packages/bus", ["@plexus/core"]),
      ws("@plexus/mcp", "protocols/mcp", ["@plexus/core"], { devDependencies: ["@plexus/registry"] }),
      ws("@plexus/registry", "registry", ["@plexus/mcp"], {
        imports: [
          { file: "src/a.ts", specifier: "../../protocols/mcp/src/index.js" },
          { file: "src/b.ts", specifier: "@plexus/nodes" },
          { file: "src/c.ts", specifier: "./fine.js" },
          { file: "src/d.ts", specifier: "../../schemas/envelope.json" },
        ],
      }),
      ws("@plexus/nodes", "nodes/start", ["@plexus/registry"]),
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        "@plexus/core depends on @plexus/bus: core depends on nothing of ours",
        "@plexus/mcp (protocols/mcp) depends on @plexus/registry (registry): a higher layer",
        "registry/src/a.ts imports ../../protocols/mcp/src/index.js: outside its package",
        "registry/src/b.ts imports @plexus/nodes, not a declared dependency",
        "@plexus/registry (registry) imports (registry/src/b.ts) @plexus/nodes (nodes/start): a higher layer",
      ]),
    );
    expect(problems.filter((p) => p.startsWith("package cycle:")).sort()).toEqual([
      "package cycle: @plexus/core → @plexus/bus → @plexus/core",
      "package cycle: @plexus/mcp → @plexus/registry → @plexus/mcp",
    ]);
    expect(problems.some((p) => p.includes("fine.js") || p.includes("schemas/"))).toBe(false);
  });

  it("allow same-layer dependencies while acyclic, and refuse them in a cycle", () => {
    const sdk = ws("@plexus/sdk", "protocols/sdk", ["@plexus/acp"]);
    const acp = ws("@plexus/acp", "protocols/acp");
    expect(checkLayers([sdk, acp, ws("@plexus/a2a", "protocols/a2a", ["@plexus/sdk"])])).toEqual([]);
    expect(checkLayers([sdk, { ...acp, dependencies: ["@plexus/sdk"] }])).toEqual([
      "package cycle: @plexus/sdk → @plexus/acp → @plexus/sdk",
    ]);
  });

  it("take an `internal` subpath import as its package: allowed when declared and down, refused when upward", () => {
    const imports = (...specifiers: string[]) => ({
      imports: specifiers.map((specifier, i) => ({ file: `src/${i}.ts`, specifier })),
    });
    const core = ws("@plexus/core", "packages/core");
    const acpImports = imports("@plexus/core/internal", "@plexus/acp/internal");
    const acp = ws("@plexus/acp", "protocols/acp", ["@plexus/core"], acpImports);
    const registry = ws("@plexus/registry", "registry", ["@plexus/acp"]);
    expect(checkLayers([core, acp, registry])).toEqual([]);
    const bus = ws("@plexus/bus", "packages/bus", ["@plexus/core"], imports("@plexus/acp/internal"));
    expect(checkLayers([core, acp, registry, bus])).toEqual([
      "packages/bus/src/0.ts imports @plexus/acp/internal, not a declared dependency",
      "@plexus/bus (packages/bus) imports (packages/bus/src/0.ts) @plexus/acp (protocols/acp): a higher layer",
    ]);
  });

  it("read every kind of import, and not the ones in comments", () => {
    const source = [
      'import { a } from "@plexus/core";',
      'import type { B } from "@plexus/bus";',
      'export { c } from "./c.js";',
      'import "./side-effect.js";',
      'const m = await import("@plexus/registry");',
      '/** see `import("@plexus/nodes")` */',
      '// import { x } from "@plexus/cli";',
    ].join("\n");
    expect(importSpecifiers(source)).toEqual([
      "@plexus/core",
      "@plexus/bus",
      "./c.js",
      "./side-effect.js",
      "@plexus/registry",
    ]);
  });
});
