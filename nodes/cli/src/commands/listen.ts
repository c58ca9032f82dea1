import { intOption, positionalArgs, requiredOption, secondsOption, type CommandDef } from "../common-options.js";
import { receive } from "../receive.js";
import { READY_FILE_HELP, READY_FILE_OPTION, readyReport } from "../ready-report.js";
import { loadKey } from "../session.js";

export const listenCommand: CommandDef = {
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
  async run({ common, values, positionals, out }) {
    const as = requiredOption(values, "as", "NAME", "listen");
    const count = intOption(values, "count", "listen", 1);
    const timeoutSeconds = secondsOption(values, "timeout", "listen");
    positionalArgs(positionals, [], "listen");
    return receive({
      common,
      out,
      key: () => loadKey(common, as, "listen"),
      start: (agent, handler, max) => agent.listen(handler, max !== undefined ? { max } : {}),
      describe: (agent) => `inbox of ${agent.did}`,
      count,
      timeoutSeconds,
      ready: await readyReport(values, "listen", common.mesh, out),
      readyDetails: (agent) => ({ did: agent.did }),
    });
  },
};
