/** The `plexus listen` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";
import { READY_FILE_HELP, READY_FILE_OPTION } from "../../table/ready-file-option.js";

export const command: CommandSpec = {
  name: "listen",
  summary: "receive inbox messages, acknowledge them and print each",
  usage: "plexus listen --as NAME [--count N] [--timeout S] [--ready-file PATH]",
  help: `Receives the direct messages in NAME's durable inbox — including those sent while it was away — prints each,
and acknowledges it (the sender gets a signed "processed" receipt). Stops after N messages or S seconds
(connecting included); with neither, runs until Ctrl-C or SIGTERM. Exits 1 if --count was given and not reached
within --timeout. Once it receives, "plexus: ready: listening on …" is on stderr (and --ready-file's file exists).

Output: one line per message (time, sender, type, conversation, body JSON, "(redelivered)"); with --json one
JSON object per message per line (id, from, to, type, conversation, body, ts, seq, redelivered, attempt, …).

Options:
  --as NAME      the listening agent's key name
  --count N      stop after N messages
  --timeout S    stop after S seconds
${READY_FILE_HELP}`,
  options: {
    as: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
    ...READY_FILE_OPTION,
  },
  load: () => import("./run.js").then((m) => m.listenCommand),
};
