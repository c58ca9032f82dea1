export { runCli, generalHelp, commandHelp, version } from "./cli.js";
export type { CliStreams } from "./cli.js";
export { COMMANDS } from "./table/commands.js";
export { findNode } from "./table/dispatch.js";
export type { CommandSpec, CommandImpl } from "./table/types.js";
export type { CommandContext, CommonOptions } from "./common-options.js";
export { ExitCode, UsageError, CliError } from "./errors.js";
