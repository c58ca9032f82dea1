/** `plexus context ls`: the stored contexts, the current one marked. */
import type { CommandImpl } from "../../common-options.js";
import { columns } from "../../lib/columns.js";
import { contextsFile, readContexts } from "../../lib/context-store.js";

export const listContexts: CommandImpl = {
  async run({ out }) {
    const data = readContexts();
    const names = Object.keys(data.contexts).sort();
    const contexts = names.map((name) => ({ name, current: name === data.current, ...data.contexts[name] }));
    if (out.json) {
      out.data("", { current: data.current ?? null, file: contextsFile(), contexts });
      return;
    }
    if (names.length === 0) {
      out.info(`plexus: no contexts in ${contextsFile()} (add one with: plexus context add NAME --nats URL)`);
      return;
    }
    const rows = contexts.map((c) => [
      c.current ? "*" : " ",
      c.name,
      c.nats ?? "-",
      c.mesh !== undefined ? `mesh ${c.mesh}` : "-",
      c.keys !== undefined ? `keys ${c.keys}` : "-",
    ]);
    out.data(columns(rows), undefined);
  },
};
