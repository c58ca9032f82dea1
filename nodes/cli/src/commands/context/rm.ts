/** `plexus context rm NAME`: removes a stored context (and clears "current" when it was that one). */
import type { CommandImpl } from "../../common-options.js";
import { contextsFile, getContext, readContexts, writeContexts } from "../../lib/context-store.js";

export const removeContext: CommandImpl = {
  async run({ positionals, out }) {
    const name = positionals[0] as string;
    const data = readContexts();
    getContext(data, name);
    delete data.contexts[name];
    const wasCurrent = data.current === name;
    if (wasCurrent) delete data.current;
    writeContexts(data);
    out.data(`removed context "${name}"${wasCurrent ? " (it was current: no context is current now)" : ""}`, {
      removed: name,
      current: data.current ?? null,
      file: contextsFile(),
    });
  },
};
