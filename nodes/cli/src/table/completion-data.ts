/**
 * What the shell completion scripts need from the command table, flattened per command path ("" for the top level,
 * "keys", "keys new", …): the subcommands (with their summaries), the options offered, the options that take a
 * value, and what a positional argument or an option's value completes to. The bash and zsh scripts are generated
 * from this, so a command added to the table completes without touching them.
 */
import { COMMON_OPTION_SPECS, subtreeOptions } from "./dispatch.js";
import type { ArgCompletion, CommandSpec, OptionsConfig } from "./types.js";

export interface PathData {
  path: string;
  subcommands: { name: string; summary: string }[];
  /** Options offered at this path ("--nats", …, "-h"). */
  options: string[];
  /** Options whose next word is their value (for walking the words typed before the cursor). */
  valued: string[];
  /** What the next positional argument completes to. */
  arg: ArgCompletion;
}

/** What an option's value completes to, by option name, across the whole table. */
export function optionValueKinds(commands: readonly CommandSpec[]): Record<string, ArgCompletion> {
  const kinds: Record<string, ArgCompletion> = { context: "context", keys: "file", "nats-auth": "file" };
  const walk = (n: CommandSpec) => {
    Object.assign(kinds, n.optionValues ?? {});
    n.subcommands?.forEach(walk);
  };
  commands.forEach(walk);
  return kinds;
}

const flags = (o: OptionsConfig) => Object.keys(o).map((k) => `--${k}`);
const stringFlags = (o: OptionsConfig) =>
  Object.entries(o)
    .filter(([, v]) => v.type === "string")
    .map(([k]) => `--${k}`);

export function completionData(commands: readonly CommandSpec[]): PathData[] {
  const visible = (list: readonly CommandSpec[]) => list.filter((c) => !c.hidden);
  const out: PathData[] = [
    {
      path: "",
      subcommands: visible(commands).map((c) => ({ name: c.name, summary: c.summary })),
      options: ["--help", "--version"],
      valued: [],
      arg: "none",
    },
  ];
  const walk = (node: CommandSpec, ancestors: CommandSpec[]) => {
    const chain = [...ancestors, node];
    const own = Object.assign({}, COMMON_OPTION_SPECS, ...chain.map((n) => n.options ?? {})) as OptionsConfig;
    const valuedAll = { ...own, ...subtreeOptions(node) };
    const firstArg = node.args?.[0]?.complete ?? "none";
    out.push({
      path: chain.map((n) => n.name).join(" "),
      subcommands: visible(node.subcommands ?? []).map((c) => ({ name: c.name, summary: c.summary })),
      options: [...flags(own), "-h"],
      valued: stringFlags(valuedAll),
      arg: firstArg,
    });
    for (const sub of visible(node.subcommands ?? [])) walk(sub, chain);
  };
  for (const c of visible(commands)) walk(c, []);
  return out;
}
