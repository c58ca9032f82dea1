/**
 * @plexus/cli — the `plexus` command (layer: nodes, the top): a thin shell that parses flags and calls the start
 * functions of @plexus/nodes and the clients of the layers below. Nothing imports it.
 */
export { runCli, version } from "./cli.js";
export { UsageError, CliError } from "./errors.js";
