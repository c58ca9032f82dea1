/**
 * `plexus __complete contexts`: what the completion scripts ask for at TAB time (hidden from help). Prints one
 * name a line and never fails loudly: a broken contexts file completes to nothing.
 */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "__complete",
  summary: "names for shell completion (used by the completion scripts)",
  usage: "plexus __complete contexts",
  hidden: true,
  contextFree: true,
  args: [{ name: "WHAT" }],
  load: async () => {
    const { readContexts } = await import("../../lib/context-store.js");
    return {
      async run({ positionals }) {
        if (positionals[0] !== "contexts") return 2;
        try {
          for (const name of Object.keys(readContexts().contexts).sort()) process.stdout.write(`${name}\n`);
        } catch {
          // nothing to offer
        }
        return 0;
      },
    };
  },
};
