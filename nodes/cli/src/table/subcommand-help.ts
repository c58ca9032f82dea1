/**
 * `plexus COMMAND SUB --help`: the part of a command's help about one subcommand (its usage lines, its paragraph,
 * and the options whose note names it), instead of the whole command's help. Read from the command's usage and help
 * texts, which list each subcommand as an indented item (`  verify   recompute …`, `  plexus keys new NAME …`) with
 * its continuation lines indented further, and note in parentheses which subcommands an option is for.
 */
import type { CommandSpec } from "./types.js";

/** The help of subcommand `sub` of `def`, or undefined when `def`'s texts have nothing about `sub`. */
export function subcommandHelp(def: CommandSpec, sub: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(sub) || def.help === undefined) return undefined;
  const usage = def.usage
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l === `plexus ${def.name} ${sub}` || l.startsWith(`plexus ${def.name} ${sub} `));
  if (usage.length === 0) return undefined;
  const lines = def.help.split("\n");
  const item = new RegExp(`^\\s+(plexus ${def.name} )?${sub}(\\s|$)`);
  const section = block(
    lines,
    lines.findIndex((l) => item.test(l)),
  );
  const options: string[] = [];
  lines.forEach((l, i) => {
    const note = /^\s+-{1,2}[a-z][^(]*\(([^)]*)\)/.exec(l)?.[1];
    if (note && new RegExp(`(^|[^a-z-])${sub}([^a-z-]|$)`).test(note)) options.push(...block(lines, i));
  });
  return [
    `Usage: ${usage.join("\n       ")}`,
    ...(section.length ? ["", ...section] : []),
    ...(options.length ? ["", "Options:", ...options] : []),
    "",
    `(plexus ${def.name} --help: every subcommand and option)`,
  ].join("\n");
}

/** The item at `start` and the lines after it indented further (none when `start` is -1). */
function block(lines: readonly string[], start: number): string[] {
  if (start < 0) return [];
  const indent = (l: string) => /^\s*/.exec(l)![0].length;
  const out = [lines[start]!];
  for (let i = start + 1; i < lines.length && lines[i]!.trim() !== "" && indent(lines[i]!) > indent(lines[start]!); i++)
    out.push(lines[i]!);
  return out;
}
