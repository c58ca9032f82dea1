/** The `plexus agents` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "agents",
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
  load: () => import("./run.js").then((m) => m.agentsCommand),
};
