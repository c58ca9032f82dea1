/**
 * `plexus --version`, `-v` and `plexus --help` answered before anything else loads: the command table and the help
 * texts are light modules, while the dispatcher pulls in the error model and @plexus/core (its schema compiler).
 * Returns the exit code, or undefined when the command line needs the full CLI.
 */
import { version, VERSION_ARGS } from "./version.js";

export async function fastPath(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number | undefined> {
  if (argv.length !== 1) return undefined;
  const [arg] = argv as [string];
  if (VERSION_ARGS.includes(arg)) {
    out.write(`plexus ${version()}\n`);
    return 0;
  }
  if (arg === "--help" || arg === "-h" || arg === "help") {
    const [{ COMMANDS }, { generalHelp }] = await Promise.all([
      import("./table/commands.js"),
      import("./table/help.js"),
    ]);
    out.write(`${generalHelp(COMMANDS)}\n`);
    return 0;
  }
  return undefined;
}
