/** What the `plexus keys` subcommands share: their shape, so one more is one file and one line in keys.ts. */
import type { CommandContext, OptionsConfig } from "../../common-options.js";

export const COMMAND = "keys";

export interface KeysSubcommand {
  name: string;
  /** Usage line(s), without the leading "plexus ". */
  usage: string;
  /** Lines for `plexus keys --help` (indented two spaces). */
  help: string;
  /** Options only this subcommand takes (refused on the others). */
  options: OptionsConfig;
  /** `args` are the positionals after the subcommand's name. */
  run(ctx: CommandContext, args: string[]): Promise<number | void>;
}
