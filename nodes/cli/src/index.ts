/**
 * @plexus/cli — the `plexus` command (layer: nodes, the top): a thin shell that parses flags and calls the start
 * functions of @plexus/nodes and the clients of the layers below. Nothing imports it; its entry serves embedding the
 * command (runCli) and tests.
 */
export { runCli, version } from "./cli.js";
export type { CliStreams } from "./cli.js";
export { ExitCode, UsageError, CliError } from "./errors.js";
