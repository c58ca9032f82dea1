/**
 * README's "Errors" section matches ERROR_SPECS: one row per code, with the same exit code, HTTP status, JSON-RPC
 * code, retry and help; and its list of exit codes names every class the table uses.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_SPECS, ErrorCode, ExitCode } from "../src/index.js";

const README = resolve(dirname(fileURLToPath(import.meta.url)), "../../../README.md");

function errorsSection(): string {
  const text = readFileSync(README, "utf8");
  const start = text.indexOf("\n## Errors\n");
  expect(start, "README has an Errors section").toBeGreaterThan(0);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

function rows(section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const m = /^\| `([A-Z_]+)` \|(.*)\|$/.exec(line);
    if (!m) continue;
    expect(out.has(m[1]!), `${m[1]} is listed once`).toBe(false);
    out.set(
      m[1]!,
      m[2]!.split("|").map((c) => c.trim()),
    );
  }
  return out;
}

describe('README "Errors"', () => {
  it("lists every code once, with the table's numbers and help", () => {
    const listed = rows(errorsSection());
    expect([...listed.keys()].sort()).toEqual(Object.values(ErrorCode).sort());
    for (const [code, spec] of Object.entries(ERROR_SPECS)) {
      expect(listed.get(code), code).toEqual([
        String(spec.exitCode),
        String(spec.httpStatus),
        String(spec.jsonRpcCode),
        spec.retryable ? "yes" : "no",
        spec.help,
      ]);
    }
  });

  it("names every exit code the table uses", () => {
    const section = errorsSection();
    const classes = /Exit codes by class: ([\s\S]*?)\n\n/.exec(section)?.[1]?.replace(/\s+/g, " ") ?? "";
    for (const exit of Object.values(ExitCode))
      expect(classes, `exit ${exit}`).toMatch(new RegExp(`(^|[ (])${exit} [a-z]`));
  });
});
