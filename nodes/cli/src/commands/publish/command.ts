/** The `plexus publish` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "publish",
  summary: "publish a message to a topic",
  usage: "plexus publish --as NAME TOPIC (BODY | --body-file FILE|-) [--type T] [--conversation C]",
  help: `Publishes BODY from NAME to TOPIC: every subscription gets it (within a queue group, one member does),
including subscriptions that are not running now. BODY is JSON when it parses as JSON, else a string; --body-file
FILE reads it from FILE (- for standard input) instead. Prints the message id and its position in the mesh stream.

Options:
  --as NAME          the publishing agent's key name
  --body-file FILE|- the body from FILE, or from standard input (-), instead of BODY
  --type T           message type (default acp.message)
  --conversation C   conversation id`,
  options: {
    as: { type: "string" },
    type: { type: "string" },
    conversation: { type: "string" },
    "body-file": { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.publishCommand),
};
