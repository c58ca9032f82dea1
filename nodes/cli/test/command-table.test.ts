/**
 * The command table itself (in this process, no child): every entry is well formed and its implementation loads;
 * what `plexus --version` and `--help` import stays free of packages (start-up time); the walk from words to a
 * subcommand; the help texts' defaults agree with core's.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Defaults, ErrorCode, ExitCode, exitCodeFor } from "@plexus/core";
import { FACTORS } from "@plexus/anp";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/table/commands.js";
import type { CommandSpec } from "../src/table/types.js";
import { DEFAULT_MESH, DEFAULT_NATS_URL, EXIT_CODES_HELP } from "../src/table/common-help.js";
import {
  EXIT_INVALID_PROOF,
  EXIT_NOT_PINNED,
  EXIT_SEALER_STALLED,
  EXIT_TAMPERED,
} from "../src/commands/audit/command.js";
import { EXIT_CREDENTIAL_INVALID } from "../src/commands/credential/command.js";
import { dispatch } from "../src/table/dispatch.js";
import { runHere } from "./cli-process.js";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

function* nodes(list: readonly CommandSpec[], prefix: string[] = []): Generator<[string[], CommandSpec]> {
  for (const node of list) {
    yield [[...prefix, node.name], node];
    yield* nodes(node.subcommands ?? [], [...prefix, node.name]);
  }
}

/** Static imports of a source file, followed through relative paths: every file and every package reached. */
function staticImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^import\s+(?!type\s)(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm)) {
      const spec = m[1] as string;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else if (!spec.startsWith("node:")) packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe("the command table", () => {
  it("names are unique per level; every node has a summary and usage, and either code or subcommands", () => {
    for (const list of [COMMANDS, ...[...nodes(COMMANDS)].map(([, n]) => n.subcommands ?? [])]) {
      const names = list.map((n) => n.name);
      expect(new Set(names).size).toBe(names.length);
    }
    for (const [path, node] of nodes(COMMANDS)) {
      expect(node.summary, path.join(" ")).not.toBe("");
      expect(node.usage.startsWith(`plexus ${path.join(" ")}`), path.join(" ")).toBe(true);
      expect(node.load !== undefined || (node.subcommands?.length ?? 0) > 0, path.join(" ")).toBe(true);
    }
  });

  it("every implementation loads and has run(); each top-level command lives in its own folder", async () => {
    for (const [path, node] of nodes(COMMANDS)) {
      if (!node.load) continue;
      const impl = await node.load();
      expect(typeof impl.run, path.join(" ")).toBe("function");
    }
    for (const c of COMMANDS) {
      const folder = c.name === "__complete" ? "completion" : c.name;
      expect(
        readFileSync(
          join(SRC, "commands", folder, c.name === "__complete" ? "complete-command.ts" : "command.ts"),
          "utf8",
        ),
      ).toContain("export const command: CommandSpec");
    }
  });

  it("--version and --help import no package: the table, the help texts and the fast path are plain modules", () => {
    const { files, packages } = staticImports(join(SRC, "fast-path.ts"));
    const table = staticImports(join(SRC, "table", "commands.ts"));
    expect([...packages, ...table.packages]).toEqual([]);
    // Sanity: the walk does follow the table into every command's entry file.
    expect([...table.files].filter((f) => f.endsWith("command.ts")).length).toBeGreaterThanOrEqual(20);
    expect(files.size).toBeGreaterThan(1);
    // And the walk would see a package import, were there one.
    expect(staticImports(join(SRC, "common-options.ts")).packages.has("@plexus/core")).toBe(true);
  });

  it("help texts that cannot import core or anp state their defaults and values as core and anp define them", () => {
    expect([DEFAULT_NATS_URL, DEFAULT_MESH]).toEqual([Defaults.natsUrl, Defaults.mesh]);
    const rate = COMMANDS.find((c) => c.name === "rate");
    expect(rate?.help).toContain(`--factor F           what is rated: ${FACTORS.join(", ")}`);
  });

  it("walks words to a subcommand, skipping option values that come before it", () => {
    const keys = COMMANDS.find((c) => c.name === "keys") as CommandSpec;
    const walked = dispatch(keys, ["--keys", "new", "show", "alice", "--json"]);
    expect(walked.path.map((n) => n.name)).toEqual(["keys", "show"]);
    expect(walked.argv).toEqual(["--keys", "new", "alice", "--json"]);
    const audit = COMMANDS.find((c) => c.name === "audit") as CommandSpec;
    expect(dispatch(audit, ["--since", "-15m", "export"]).path.map((n) => n.name)).toEqual(["audit", "export"]);
    expect(dispatch(audit, ["--", "verify"]).path.map((n) => n.name)).toEqual(["audit", "verify"]);
  });

  it("usage errors from the table exit 2 with the command's usage; help works at every level", async () => {
    for (const [args, message] of [
      [["keys"], "missing a subcommand: new, show, list, split, combine or rotate"],
      [["keys", "frob"], 'unknown subcommand "frob": use new, show, list, split, combine or rotate'],
      [["keys", "new", "a", "--shares", "3"], '--shares is not an option of "plexus keys new"'],
      [["audit", "prove", "a", "b"], 'unexpected argument "b"'],
      [["audit", "check-proof"], "missing FILE"],
      [["gateway"], "missing a subcommand: start"],
    ] as const) {
      const r = await runHere([...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain(`usage: plexus ${args[0]} `);
    }
    for (const [path, node] of nodes(COMMANDS)) {
      if (node.hidden) continue;
      const r = await runHere([...path, "--help"]);
      expect(r.code, path.join(" ")).toBe(0);
      expect(r.stdout.startsWith("Usage: plexus"), path.join(" ")).toBe(true);
      expect(r.stdout).toContain("Common options:");
      expect((await runHere(["help", ...path])).stdout).toBe(r.stdout);
    }
    expect((await runHere(["context", "add", "--help"])).stdout).toMatch(
      /^Usage: plexus context add NAME .*\n\nStores the connection flags/,
    );
  });
});

describe("the exit codes the table's texts name (kept light: no import of @plexus/core there)", () => {
  it("are the error table's: audit's help constants and the general help's list", () => {
    expect([EXIT_TAMPERED, EXIT_SEALER_STALLED, EXIT_NOT_PINNED, EXIT_INVALID_PROOF, EXIT_CREDENTIAL_INVALID]).toEqual([
      exitCodeFor(ErrorCode.AuditTampered),
      exitCodeFor(ErrorCode.AuditSealerStalled),
      exitCodeFor(ErrorCode.ProofNotPinned),
      exitCodeFor(ErrorCode.AuditTampered),
      exitCodeFor(ErrorCode.CredentialInvalid),
    ]);
    const listed = [...EXIT_CODES_HELP.matchAll(/(\d+) [a-z]/g)].map((m) => Number(m[1]));
    expect(listed).toEqual(Object.values(ExitCode));
  });
});
