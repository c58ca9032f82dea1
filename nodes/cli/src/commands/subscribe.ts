import { assertName, assertTopic } from "@plexus/core";
import { intOption, positionalArgs, requiredOption, secondsOption, stringOption, validated, type CommandDef } from "../common-options.js";
import { receive } from "../receive.js";
import { loadKey } from "../session.js";

export const subscribeCommand: CommandDef = {
  name: "subscribe",
  summary: "receive messages published to a topic and print each",
  usage: "plexus subscribe --as NAME TOPIC [--group G] [--count N] [--timeout S]",
  help: `A durable subscription of NAME to TOPIC: it also receives what was published while it was away. With
--group, the members of a queue group share the messages (each goes to one member). Stops after N messages or S
seconds; with neither, runs until Ctrl-C. Exits 1 if --count was given and not reached within --timeout.

Output: as for \`plexus listen\` (--json: one JSON object per message per line, with "topic").

Options:
  --as NAME      the subscribing agent's key name
  --group G      queue group (1-64 of A-Z a-z 0-9 _ -)
  --count N      stop after N messages
  --timeout S    stop after S seconds`,
  options: {
    as: { type: "string" },
    group: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
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
    });
  },
};
