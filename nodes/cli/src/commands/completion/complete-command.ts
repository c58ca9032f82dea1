/**
 * `plexus __complete contexts`: what the completion scripts ask for at TAB time (hidden from help). Prints one
 * name a line and never fails loudly: a broken contexts file completes to nothing. Only names `context add` accepts
 * are printed: bash's `compgen -W` expands what it is given, so a hand-edited name such as `$(…)` must not reach it.
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
    const { CONTEXT_NAME_PATTERN, readContexts } = await import("../../lib/context-store.js");
    return {
      async run({ positionals }) {
        if (positionals[0] !== "contexts") return 2;
        try {
          const names = Object.keys(readContexts().contexts).filter((n) => CONTEXT_NAME_PATTERN.test(n));
          for (const name of names.sort()) process.stdout.write(`${name}\n`);
        } catch {
          // nothing to offer
        }
        return 0;
      },
    };
  },
};
