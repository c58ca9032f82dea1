/** The `plexus completion` entry of the command table: shell completion scripts generated from the table itself. */
import type { CommandImpl, CommandSpec } from "../../table/types.js";

/** Prints the script of one shell (the table is imported here, at run time: it imports this file). */
const script = (shell: "bash" | "zsh") => async (): Promise<CommandImpl> => {
  const [{ COMMANDS }, { completionData, optionValueKinds }, gen] = await Promise.all([
    import("../../table/commands.js"),
    import("../../table/completion-data.js"),
    shell === "bash" ? import("./bash.js").then((m) => m.bashScript) : import("./zsh.js").then((m) => m.zshScript),
  ]);
  return {
    async run() {
      process.stdout.write(gen(completionData(COMMANDS), optionValueKinds(COMMANDS)));
    },
  };
};

export const command: CommandSpec = {
  name: "completion",
  summary: "print a shell completion script: bash or zsh",
  usage: "plexus completion bash\n  plexus completion zsh",
  help: `Prints a completion script for the shell, generated from plexus's command table: commands, subcommands and
their options complete with TAB, and the names of stored contexts (plexus context) after --context and in
"plexus context use|show|rm".

  bash   add to ~/.bashrc:   source <(plexus completion bash)
  zsh    add to ~/.zshrc, after compinit:   source <(plexus completion zsh)`,
  contextFree: true,
  subcommands: [
    {
      name: "bash",
      summary: "the bash completion script",
      usage: "plexus completion bash",
      args: [],
      load: script("bash"),
    },
    {
      name: "zsh",
      summary: "the zsh completion script",
      usage: "plexus completion zsh",
      args: [],
      load: script("zsh"),
    },
  ],
};
