/** `plexus COMMAND …`: dispatch through the command table, help, version and the mapping of errors to exit codes. */
import { COMMANDS } from "./table/commands.js";
import { parseCommandArgs } from "./common-options.js";
import { ExitCode, exitCodeOf, reportError, reportJsonError, UsageError, wantsJson } from "./errors.js";
import { createOutput } from "./output.js";
import { checkArgs, dispatch, findNode, nodeOptions, siblingOption } from "./table/dispatch.js";
import { generalHelp as renderGeneralHelp, nodeHelp } from "./table/help.js";
import type { CommandSpec } from "./table/types.js";
import { version, VERSION_ARGS } from "./version.js";

export { version };

export interface CliStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export function generalHelp(): string {
  return renderGeneralHelp(COMMANDS);
}

/** A top-level command's help. */
export function commandHelp(def: CommandSpec): string {
  return nodeHelp([def]);
}

function usageFailure(err: UsageError, streams: CliStreams): number {
  const def = err.command !== undefined ? findNode(COMMANDS, err.command) : undefined;
  streams.err.write(`plexus: ${err.message}\n`);
  if (def) streams.err.write(`usage: ${def.usage}\n(run "plexus ${def.name} --help" for details)\n`);
  else streams.err.write(`usage: plexus COMMAND [options]\n(run "plexus --help" for the commands)\n`);
  return ExitCode.Usage;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(
  argv: string[],
  streams: CliStreams = { out: process.stdout, err: process.stderr },
): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      streams.err.write(`${generalHelp()}\n`);
      return ExitCode.Usage;
    }
    if (VERSION_ARGS.includes(first)) {
      streams.out.write(`plexus ${version()}\n`);
      return ExitCode.Ok;
    }
    if (first === "--help" || first === "-h" || first === "help") {
      const topic = rest[0];
      if (topic === undefined || topic.startsWith("-")) {
        streams.out.write(`${generalHelp()}\n`);
        return ExitCode.Ok;
      }
      const def = findNode(COMMANDS, topic);
      if (!def) throw new UsageError(`unknown command "${topic}"`);
      streams.out.write(`${nodeHelp(dispatch(def, [...rest.slice(1), "--help"]).path)}\n`);
      return ExitCode.Ok;
    }
    if (first.startsWith("-")) throw new UsageError(`the command comes first, before ${first}`);
    const top = findNode(COMMANDS, first);
    if (!top) throw new UsageError(`unknown command "${first}"`);

    const { path, argv: args, help } = dispatch(top, rest);
    if (help) {
      streams.out.write(`${nodeHelp(path)}\n`);
      return ExitCode.Ok;
    }
    const node = path.at(-1) as CommandSpec;
    const misplaced = siblingOption(path, args);
    if (misplaced !== undefined) throw new UsageError(misplaced, top.name);
    const parsed = parseCommandArgs(top.name, nodeOptions(path), args, top.contextFree !== true);
    checkArgs(node, parsed.positionals, top.name);
    if (!node.load) throw new UsageError(`"plexus ${path.map((n) => n.name).join(" ")}" needs a subcommand`, top.name);
    const impl = await node.load();
    const out = createOutput(parsed.common.json, streams);
    const code = await impl.run({ common: parsed.common, values: parsed.values, positionals: parsed.positionals, out });
    return code ?? ExitCode.Ok;
  } catch (err) {
    if (wantsJson(argv)) return reportJsonError(err, (s) => streams.err.write(s));
    if (err instanceof UsageError) return usageFailure(err, streams);
    reportError(err, (s) => streams.err.write(s));
    return exitCodeOf(err);
  }
}
