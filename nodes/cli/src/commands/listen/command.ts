/** The `plexus listen` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "listen",
  summary: "receive inbox messages, acknowledge them and print each",
  usage: "plexus listen --as NAME [--count N] [--timeout S]",
  help: `Receives the direct messages in NAME's durable inbox — including those sent while it was away — prints each,
and acknowledges it (the sender gets a signed "processed" receipt). Stops after N messages or S seconds; with
neither, runs until Ctrl-C. Exits 1 if --count was given and not reached within --timeout.

Output: one line per message (time, sender, type, conversation, body JSON, "(redelivered)"); with --json one
JSON object per message per line (id, from, to, type, conversation, body, ts, seq, redelivered, attempt, …).

Options:
  --as NAME      the listening agent's key name
  --count N      stop after N messages
  --timeout S    stop after S seconds`,
  options: {
    as: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.listenCommand),
};
