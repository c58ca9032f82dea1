/**
 * Walking the command table: from `plexus keys --keys DIR new alice` to the node `keys new` and the arguments left
 * for it. Options may come before a subcommand's name, so the walk skips the values of the string options the
 * subtree knows. Usage errors name the top-level command, whose usage lists every subcommand's.
 */
import { UsageError } from "../errors.js";
import type { CommandSpec, OptionsConfig } from "./types.js";

/** The common options every command takes (parsed in common-options.ts; listed here for the walk and completion). */
export const COMMON_OPTION_SPECS = {
  nats: { type: "string" },
  mesh: { type: "string" },
  keys: { type: "string" },
  "nats-auth": { type: "string" },
  context: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionsConfig;

export interface Dispatched {
  /** From the top-level command down to the node reached. */
  path: readonly CommandSpec[];
  /** The arguments left once the subcommands' names are taken out. */
  argv: string[];
  /** --help or -h (before any "--"). */
  help: boolean;
}

export function findNode(commands: readonly CommandSpec[], name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}

/** "start or unseal", "a, b or c". */
export function orList(names: readonly string[]): string {
  return names.length < 2 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/** Every option of `node` and of the nodes below it (for skipping option values before a subcommand's name). */
export function subtreeOptions(node: CommandSpec): OptionsConfig {
  return Object.assign({}, node.options, ...(node.subcommands ?? []).map(subtreeOptions)) as OptionsConfig;
}

/** The options a node's arguments are parsed with: the common ones, its ancestors' shared ones, its own. */
export function nodeOptions(path: readonly CommandSpec[]): OptionsConfig {
  return Object.assign({}, COMMON_OPTION_SPECS, ...path.map((n) => n.options ?? {})) as OptionsConfig;
}

/** The index of the first positional argument, or -1. */
function firstPositional(argv: readonly string[], options: OptionsConfig): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") return i + 1 < argv.length ? i + 1 : -1;
    if (!a.startsWith("-") || a === "-") return i;
    if (a.includes("=")) continue;
    const long = a.startsWith("--") ? options[a.slice(2)] : Object.values(options).find((o) => o.short === a.slice(1));
    if (long?.type === "string") i++;
  }
  return -1;
}

/** Walks from the top-level command `top` down through the subcommands named in `argv`. */
export function dispatch(top: CommandSpec, argv: readonly string[]): Dispatched {
  const end = argv.indexOf("--");
  const help = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
  const path: CommandSpec[] = [top];
  let rest = [...argv];
  for (let node = top; node.subcommands; ) {
    const visible = node.subcommands.filter((s) => !s.hidden).map((s) => s.name);
    const at = firstPositional(rest, { ...COMMON_OPTION_SPECS, ...subtreeOptions(node) });
    if (at < 0) {
      if (help || node.load) break;
      throw new UsageError(`missing a subcommand: ${orList(visible)}`, top.name);
    }
    const name = rest[at] as string;
    const sub = node.subcommands.find((s) => s.name === name);
    if (!sub) {
      if (help || node.load) break;
      throw new UsageError(`unknown subcommand ${JSON.stringify(name)}: use ${orList(visible)}`, top.name);
    }
    path.push(sub);
    rest = [...rest.slice(0, at), ...rest.slice(at + 1)];
    node = sub;
  }
  return { path, argv: rest, help };
}

/** The positional arguments a node declares (`args`), checked as positionalArgs does. */
export function checkArgs(node: CommandSpec, positionals: readonly string[], command: string): void {
  if (!node.args) return;
  const required = node.args.filter((a) => !a.optional);
  if (positionals.length < required.length)
    throw new UsageError(
      `missing ${required
        .slice(positionals.length)
        .map((a) => a.name)
        .join(" and ")}`,
      command,
    );
  if (positionals.length > node.args.length) {
    const extra = positionals.slice(node.args.length);
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? "s" : ""} ${extra.map((p) => JSON.stringify(p)).join(" ")}`,
      command,
    );
  }
}

/** An option a sibling subcommand takes but this one does not: said as such rather than "unknown option". */
export function siblingOption(path: readonly CommandSpec[], argv: readonly string[]): string | undefined {
  const parent = path.at(-2);
  const node = path.at(-1);
  if (!parent?.subcommands || !node) return undefined;
  const own = nodeOptions(path);
  for (const a of argv) {
    if (a === "--") break;
    const name = /^--([^=]+)/.exec(a)?.[1];
    if (name === undefined || name in own) continue;
    if (parent.subcommands.some((s) => s !== node && s.options && name in s.options))
      return `--${name} is not an option of "plexus ${path.map((n) => n.name).join(" ")}"`;
  }
  return undefined;
}
