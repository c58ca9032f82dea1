import { assertName, assertTopic } from "@plexus/core";
import { intOption, positionalArgs, requiredOption, secondsOption, stringOption, validated, type CommandDef } from "../common-options.js";
import { receive } from "../receive.js";
import { READY_FILE_HELP, READY_FILE_OPTION, readyReport } from "../ready-report.js";
import { loadKey } from "../session.js";

export const subscribeCommand: CommandDef = {
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
  async run({ common, values, positionals, out }) {
    const as = requiredOption(values, "as", "NAME", "subscribe");
    const group = stringOption(values, "group", "subscribe");
    if (group !== undefined) validated("subscribe", () => assertName("group", group));
    const count = intOption(values, "count", "subscribe", 1);
    const timeoutSeconds = secondsOption(values, "timeout", "subscribe");
    const [topic] = positionalArgs(positionals, ["TOPIC"], "subscribe") as [string];
    validated("subscribe", () => assertTopic(topic));
    return receive({
      common,
      out,
      key: () => loadKey(common, as, "subscribe"),
      start: (agent, handler, max) => agent.subscribe(topic, handler, { ...(group !== undefined ? { group } : {}), ...(max !== undefined ? { max } : {}) }),
      describe: () => `topic "${topic}"${group !== undefined ? ` (group "${group}")` : ""}`,
      count,
      timeoutSeconds,
      ready: await readyReport(values, "subscribe", common.mesh, out),
      readyDetails: () => ({ topic, ...(group !== undefined ? { group } : {}) }),
    });
  },
};
