/** `plexus context use NAME`: the current context from now on. */
import type { CommandImpl } from "../../common-options.js";
import { contextsFile, getContext, readContexts, writeContexts } from "../../lib/context-store.js";

export const useContext: CommandImpl = {
  async run({ positionals, out }) {
    const name = positionals[0] as string;
    const data = readContexts();
    getContext(data, name);
    data.current = name;
    writeContexts(data);
    out.data(`current context: ${name}`, { current: name, file: contextsFile() });
  },
};
