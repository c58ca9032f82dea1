/** `plexus agents`: the agents the registry knows, with their liveness and capabilities. */
import type { AgentView } from "@plexus/anp";
import { positionalArgs, type CommandImpl } from "../../common-options.js";
import { shortDid } from "../../output.js";
import { columns } from "../../lib/columns.js";
import { withRegistry } from "../../lib/registry-request.js";

const COMMAND = "agents";

export const agentsCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    const all = values["all"] === true;
    const { result } = await withRegistry(common, COMMAND, (registry) => registry.agents({ all }));
    if (out.json) out.data("", result);
    else if (result.length === 0)
      out.data(
        `no agents in mesh "${common.mesh}"${all ? "" : " (--all includes offline and gone ones, and those that left)"}`,
        undefined,
      );
    else out.data(agentTable(result), undefined);
  },
};

function agentTable(agents: readonly AgentView[]): string {
  const rows = agents.map((a) => [shortDid(a.did), a.name, a.present ? a.liveness : "left", a.capabilities.join(",")]);
  return columns([["DID", "NAME", "LIVENESS", "CAPABILITIES"], ...rows]);
}
