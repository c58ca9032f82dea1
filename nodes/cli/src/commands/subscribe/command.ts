/** The `plexus subscribe` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";
import { READY_FILE_HELP, READY_FILE_OPTION } from "../../table/ready-file-option.js";

export const command: CommandSpec = {
  name: "subscribe",
  summary: "receive messages published to a topic and print each",
  usage: "plexus subscribe --as NAME TOPIC [--group G] [--count N] [--timeout S] [--ready-file PATH]",
  help: `A durable subscription of NAME to TOPIC: it also receives what was published while it was away. With
--group, the members of a queue group share the messages (each goes to one member). Stops after N messages or S
seconds (connecting included); with neither, runs until Ctrl-C or SIGTERM. Exits 1 if --count was given and not
reached within --timeout.

Ready: the subscription exists only once "plexus: ready: listening on …" is on stderr (and --ready-file's file
exists); what is published before that is not NAME's to receive the first time it subscribes. A script starting
it in the background waits for that before publishing (see the README's tour).

Output: as for \`plexus listen\` (--json: one JSON object per message per line, with "topic").

Options:
  --as NAME      the subscribing agent's key name
  --group G      queue group (1-64 of A-Z a-z 0-9 _ -)
  --count N      stop after N messages
  --timeout S    stop after S seconds
${READY_FILE_HELP}`,
  options: {
    as: { type: "string" },
    group: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
    ...READY_FILE_OPTION,
  },
  load: () => import("./run.js").then((m) => m.subscribeCommand),
};
