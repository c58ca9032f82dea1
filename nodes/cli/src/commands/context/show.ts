/** `plexus context show [NAME]`: what a context stores and what a command run with it would use. */
import { Defaults } from "@plexus/core";
import { defaultKeysDir } from "@plexus/identity";
import { dirname, join, resolve } from "node:path";
import type { CommandImpl } from "../../common-options.js";
import { CliError } from "../../errors.js";
import { contextsFile, getContext, readContexts, type StoredContext } from "../../lib/context-store.js";

export const showContext: CommandImpl = {
  async run({ positionals, out }) {
    const data = readContexts();
    const name = positionals[0] ?? data.current;
    if (name === undefined)
      throw new CliError(
        "no context is current: name one (plexus context show NAME), or choose one with: plexus context use NAME",
      );
    const stored = getContext(data, name);
    const effective = effectiveSettings(stored);
    const current = name === data.current;
    const human = [
      `context    ${name}${current ? " (current)" : ""}`,
      `nats       ${effective.nats}${stored.nats === undefined ? "  (default)" : ""}`,
      `mesh       ${effective.mesh}${stored.mesh === undefined ? "  (default)" : ""}`,
      `keys       ${effective.keys}${stored.keys === undefined ? "  (default)" : ""}`,
      `nats-auth  ${effective.natsAuth}${stored.natsAuth === undefined ? "  (default: next to the key folder)" : ""}`,
      `file       ${contextsFile()}`,
    ].join("\n");
    out.data(human, { name, current, stored, effective, file: contextsFile() });
  },
};

/** The context's settings with the defaults filled in (the environment variables left out: they are per shell). */
function effectiveSettings(c: StoredContext): { nats: string; mesh: string; keys: string; natsAuth: string } {
  const keys = c.keys ?? defaultKeysDir();
  return {
    nats: c.nats ?? Defaults.natsUrl,
    mesh: c.mesh ?? Defaults.mesh,
    keys,
    natsAuth: c.natsAuth ?? join(dirname(resolve(keys)), "nats"),
  };
}
