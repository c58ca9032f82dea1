/** `plexus COMMAND …`: dispatch, help, version and the mapping of errors to exit codes. */
import { readFileSync } from "node:fs";
import { COMMANDS, findCommand } from "./commands/index.js";
import { COMMON_HELP, parseCommandArgs, type CommandDef } from "./common-options.js";
import { EXIT_CODES_HELP, ExitCode, exitCodeOf, reportError, reportJsonError, UsageError, wantsJson } from "./errors.js";
import { createOutput } from "./output.js";
import { subcommandHelp } from "./subcommand-help.js";

export interface CliStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `plexus ${version()}: an event-sourced message mesh for software agents, on NATS JetStream

Usage: plexus COMMAND [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${COMMANDS.map((c) => `  ${c.usage}`).join("\n")}

${COMMON_HELP}
  -v, --version  print the version

Run "plexus COMMAND --help" for a command's options. ${EXIT_CODES_HELP} With --json, a failure is one JSON object on stderr.
Set PLEXUS_DEBUG=1 to see stack traces.`;
}

export function commandHelp(def: CommandDef): string {
  return `Usage: ${def.usage}

${def.help}

${COMMON_HELP}`;
}

function usageFailure(err: UsageError, streams: CliStreams): number {
  const def = err.command !== undefined ? findCommand(err.command) : undefined;
  streams.err.write(`plexus: ${err.message}\n`);
  if (def) streams.err.write(`usage: ${def.usage}\n(run "plexus ${def.name} --help" for details)\n`);
  else streams.err.write(`usage: plexus COMMAND [options]\n(run "plexus --help" for the commands)\n`);
  return ExitCode.Usage;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: string[], streams: CliStreams = { out: process.stdout, err: process.stderr }): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      streams.err.write(`${generalHelp()}\n`);
      return ExitCode.Usage;
    }
    if (first === "--version" || first === "-V" || first === "-v" || first === "version") {
      streams.out.write(`plexus ${version()}\n`);
      return ExitCode.Ok;
    }
    if (first === "--help" || first === "-h" || first === "help") {
      const topic = rest[0];
      if (topic === undefined || topic.startsWith("-")) {
        streams.out.write(`${generalHelp()}\n`);
        return ExitCode.Ok;
      }
      const def = findCommand(topic);
      if (!def) throw new UsageError(`unknown command "${topic}"`);
      streams.out.write(`${commandHelp(def)}\n`);
      return ExitCode.Ok;
    }
    if (first.startsWith("-")) throw new UsageError(`the command comes first, before ${first}`);
    const def = findCommand(first);
    if (!def) throw new UsageError(`unknown command "${first}"`);

    const parsed = parseCommandArgs(def, rest);
    if (parsed.help) {
      // `plexus keys new --help`: that subcommand's part of the help, when the command has one by that name.
      const sub = rest[0] !== undefined && !rest[0].startsWith("-") ? subcommandHelp(def, rest[0]) : undefined;
      streams.out.write(`${sub !== undefined ? `${sub}\n\n${COMMON_HELP}` : commandHelp(def)}\n`);
      return ExitCode.Ok;
    }
    const out = createOutput(parsed.common.json, streams);
    const code = await def.run({ common: parsed.common, values: parsed.values, positionals: parsed.positionals, out });
    return code ?? ExitCode.Ok;
  } catch (err) {
    if (wantsJson(argv)) return reportJsonError(err, (s) => streams.err.write(s));
    if (err instanceof UsageError) return usageFailure(err, streams);
    reportError(err, (s) => streams.err.write(s));
    return exitCodeOf(err);
  }
}
