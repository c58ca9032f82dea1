/**
 * The shape of the command table: one declarative tree that drives dispatch, `--help` at every level, usage errors
 * (exit 2) and shell completion. A node names its implementation with `load()`, a dynamic import run only when the
 * node is dispatched, so `plexus --version` and `plexus --help` import none of the commands' dependencies. Only type
 * imports here: the table must stay cheap to load.
 */
import type { ParseArgsConfig } from "node:util";
import type { CommandContext } from "../common-options.js";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** What a positional argument completes to in the shell ("context": the stored context names). */
export type ArgCompletion = "context" | "file" | "shell" | "none";

export interface ArgSpec {
  name: string;
  optional?: boolean;
  complete?: ArgCompletion;
}

/** The part a command's module exports: the code behind one leaf of the table. */
export interface CommandImpl {
  /** Returns the exit code (default 0). Throws UsageError (exit 2) / CliError / anything else (the exit code of its error code). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a run() that returns nothing exits 0
  run(ctx: CommandContext): Promise<number | void>;
}

export interface CommandSpec {
  name: string;
  /** One line for the parent's help and for zsh completion. */
  summary: string;
  /** The usage line(s), without "Usage: ", printed with usage errors. */
  usage: string;
  /** Description and options for `plexus … --help`; a subcommand without one gets its part of the parent's help. */
  help?: string;
  /** Options of this node; a node with subcommands shares its options with all of them. */
  options?: OptionsConfig;
  /** When given, the dispatcher checks the positional arguments' count (and completion reads `complete`). */
  args?: readonly ArgSpec[];
  /** What completes the value of a string option (default: nothing). */
  optionValues?: Readonly<Record<string, ArgCompletion>>;
  subcommands?: readonly CommandSpec[];
  /** Takes no settings from stored contexts (the context and completion commands themselves). */
  contextFree?: boolean;
  /** Left out of help and completion (`plexus __complete`). */
  hidden?: boolean;
  /** The implementation; absent on a node that only groups subcommands. */
  load?: () => Promise<CommandImpl>;
}
