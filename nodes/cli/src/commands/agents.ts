/** `plexus agents`: the agents the registry knows, with their liveness and capabilities. */
import type { AgentView } from "@plexus/anp";
import { positionalArgs, type CommandDef } from "../common-options.js";
import { shortDid } from "../output.js";
import { columns, withRegistry } from "./registry.js";

const COMMAND = "agents";

export const agentsCommand: CommandDef = {
  name: COMMAND,
  summary: "list the agents present in the mesh's registry",
  usage: "plexus agents [--all]",
  help: `Lists the agents that joined the registry and have not left: DID, name, liveness and capabilities. Agents
whose heartbeats stopped (offline, gone) and agents that left (liveness "left", their records stay, for reputation)
are listed only with --all.

--json prints one JSON array of agents: {"did","name","description","version","capabilities","tags","card",
"present","liveness","livenessSince","lastHeartbeat","joinedAt","leftAt","credential"} (an agent that left:
present false, liveness "gone" since leftAt).

Options:
  --all    include offline and gone agents, and those that left`,
  options: {
    all: { type: "boolean" },
  },
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    const all = values["all"] === true;
    const { result } = await withRegistry(common, COMMAND, (registry) => registry.agents({ all }));
    if (out.json) out.data("", result);
    else if (result.length === 0) out.data(`no agents in mesh "${common.mesh}"${all ? "" : " (--all includes offline and gone ones, and those that left)"}`, undefined);
    else out.data(agentTable(result), undefined);
  },
};

function agentTable(agents: readonly AgentView[]): string {
  const rows = agents.map((a) => [shortDid(a.did), a.name, a.present ? a.liveness : "left", a.capabilities.join(",")]);
  return columns([["DID", "NAME", "LIVENESS", "CAPABILITIES"], ...rows]);
}
