/** What the `plexus keys` subcommands share: their shape (name, usage, help and options live in command.ts). */
import type { CommandContext } from "../../common-options.js";

export const COMMAND = "keys";

export interface KeysSubcommand {
  /** `args` are the positionals after the subcommand's name. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a run() that returns nothing exits 0
  run(ctx: CommandContext, args: string[]): Promise<number | void>;
}
