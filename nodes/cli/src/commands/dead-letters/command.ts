/** The `plexus dead-letters` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "dead-letters",
  summary: "list messages whose handlers failed on every attempt",
  usage: "plexus dead-letters [--limit N]",
  help: `Lists the dead letters of this mesh, newest N, oldest first: messages a handler failed on every attempt
(5 by default). Each keeps the whole envelope, the last error and the number of attempts; its sender got a
signed "failed" receipt.

--json prints one object: {"total", "records": [...], "invalid": [...]}: "invalid" lists messages on dead-letter
subjects that are not dead letters (any agent may publish on its own), by position, subject and why.

Options:
  --limit N    how many of the newest dead letters to list (default 100)`,
  options: {
    limit: { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.deadLettersCommand),
};
