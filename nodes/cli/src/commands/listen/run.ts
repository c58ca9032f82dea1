import { intOption, positionalArgs, requiredOption, secondsOption, type CommandImpl } from "../../common-options.js";
import { receive } from "../../receive.js";
import { readyReport } from "../../ready-report.js";
import { loadKey } from "../../session.js";

export const listenCommand: CommandImpl = {
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
