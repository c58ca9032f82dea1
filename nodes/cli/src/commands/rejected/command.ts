/** The `plexus rejected` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

/** Reasons are counted over at most this many records. */
export const COUNT_CAP = 10_000;

export const command: CommandSpec = {
  name: "rejected",
  summary: "list rejected envelopes with their reasons",
  usage: "plexus rejected [--limit N]",
  help: `Lists the envelopes that this mesh's readers refused (bad signature, stale, replayed, malformed, oversized,
…), newest N, oldest first, with counts by reason. Each record keeps the refused message's first 4 KiB (base64,
in --json output); the message itself stays in the stream.

--json prints one object: {"total", "byReason": {reason: count}, "records": [...], "invalid": [...]}; "counted" is
added when reasons were counted over fewer than all records (more than ${COUNT_CAP}). "invalid" lists messages on
record subjects that are not rejection records (any agent may publish on its own record subject): their position,
subject (which names the publisher) and why; they are never counted as rejections.

Options:
  --limit N    how many of the newest records to list (default 100)`,
  options: {
    limit: { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.rejectedCommand),
};
