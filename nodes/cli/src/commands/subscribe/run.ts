import { assertName, assertTopic } from "@plexus/core";
import {
  intOption,
  positionalArgs,
  requiredOption,
  secondsOption,
  stringOption,
  validated,
  type CommandImpl,
} from "../../common-options.js";
import { receive } from "../../receive.js";
import { readyReport } from "../../ready-report.js";
import { loadKey } from "../../session.js";

export const subscribeCommand: CommandImpl = {
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
      start: (agent, handler, max) =>
        agent.subscribe(topic, handler, {
          ...(group !== undefined ? { group } : {}),
          ...(max !== undefined ? { max } : {}),
        }),
      describe: () => `topic "${topic}"${group !== undefined ? ` (group "${group}")` : ""}`,
      count,
      timeoutSeconds,
      ready: await readyReport(values, "subscribe", common.mesh, out),
      readyDetails: () => ({ topic, ...(group !== undefined ? { group } : {}) }),
    });
  },
};
