export { runCli, generalHelp, commandHelp, version } from "./cli.js";
export type { CliStreams } from "./cli.js";
export { COMMANDS, findCommand } from "./commands/index.js";
export type { CommandDef, CommandContext, CommonOptions } from "./common-options.js";
export { ExitCode, UsageError, CliError } from "./errors.js";
