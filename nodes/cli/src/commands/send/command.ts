/** The `plexus send` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "send",
  summary: "send a direct message to an agent's durable inbox",
  usage: "plexus send --as NAME --to DID (BODY | --body-file FILE|-) [--type T] [--conversation C] [--await-receipt]",
  help: `Sends BODY from NAME to the inbox of DID (or of the key named DID in the key folder). BODY is JSON when it
parses as JSON, else a string; --body-file FILE reads it from FILE (- for standard input) instead. Prints the
message id and its position in the mesh stream once the mesh stored it; the recipient gets it whenever it listens
(a warning says so when the registry has never seen DID).

With --await-receipt, waits for the recipient's signed "processed" receipt, and exits 1 if the receipt says the
message failed (its handler failed on every attempt), printing the reason.

Options:
  --as NAME              the sending agent's key name
  --to DID|NAME          the recipient: a did:key, or a key name in the key folder
  --body-file FILE|-     the body from FILE, or from standard input (-), instead of BODY
  --type T               message type (default acp.message)
  --conversation C       conversation id
  --await-receipt        wait for the processed (or failed) receipt
  --receipt-timeout S    how long to wait for it (default 30)`,
  options: {
    as: { type: "string" },
    to: { type: "string" },
    type: { type: "string" },
    conversation: { type: "string" },
    "await-receipt": { type: "boolean" },
    "receipt-timeout": { type: "string" },
    "body-file": { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.sendCommand),
};
