/**
 * Help texts rendered from the command table: the general help (`plexus --help`), a command's or group's help,
 * and a subcommand's (its own text, or its part of the parent's text, see subcommand-help.ts).
 */
import { version } from "../version.js";
import { COMMON_HELP, EXIT_CODES_HELP } from "./common-help.js";
import { subcommandHelp } from "./subcommand-help.js";
import type { CommandSpec } from "./types.js";

export function generalHelp(commands: readonly CommandSpec[]): string {
  const shown = commands.filter((c) => !c.hidden);
  const width = Math.max(...shown.map((c) => c.name.length));
  return `plexus ${version()}: an event-sourced message mesh for software agents, on NATS JetStream

Usage: plexus COMMAND [options]

Commands:
${shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${shown.map((c) => `  ${c.usage}`).join("\n")}

${COMMON_HELP}
  -v, --version  print the version

Run "plexus COMMAND --help" for a command's options, "plexus COMMAND SUBCOMMAND --help" for a subcommand's.
${EXIT_CODES_HELP} With --json, a failure is one JSON object on stderr.
Set PLEXUS_DEBUG=1 to see stack traces.`;
}

/** The help of the last node of `path` (a top-level command, a group, or a subcommand). */
export function nodeHelp(path: readonly CommandSpec[]): string {
  const node = path.at(-1) as CommandSpec;
  const parent = path.at(-2);
  if (node.help !== undefined) return `Usage: ${node.usage}\n\n${node.help}\n\n${COMMON_HELP}`;
  const part = parent ? subcommandHelp(parent, node.name) : undefined;
  if (part !== undefined) return `${part}\n\n${COMMON_HELP}`;
  const more = parent
    ? `(plexus ${path
        .slice(0, -1)
        .map((n) => n.name)
        .join(" ")} --help: every subcommand and option)\n\n`
    : "";
  return `Usage: ${node.usage}\n\n${node.summary}\n\n${optionList(path)}${more}${COMMON_HELP}`;
}

/** "Options: --a, --b VALUE" (its own and those its parents share) for a node without a help text of its own. */
function optionList(path: readonly CommandSpec[]): string {
  const own = Object.assign({}, ...path.map((n) => n.options ?? {})) as Record<string, { type: string }>;
  const names = Object.entries(own).map(([k, o]) => `--${k}${o.type === "string" ? " VALUE" : ""}`);
  return names.length ? `Options: ${names.join(", ")}\n\n` : "";
}
