/** The `plexus reputation` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "reputation",
  summary: "show an agent's reputation: score, factors, trust",
  usage: "plexus reputation AGENT",
  help: `Shows the reputation the registry computed for AGENT (a did:key, or a key name in the key folder): the score
(0 to 1, the weighted mean of the factors), each factor's value with the evidence behind it (samples on record, and
the weight they carry: only samples from trusted sources weigh), the agent's global trust and where it comes from
(anchor: the operator trusts it; ratings: trusted raters rated it; none), and whether it is still a newcomer. On a
mesh without any trust anchor it says so: nothing an agent says or does then weighs. Exits 1 if the registry never
admitted AGENT.

--json prints the Reputation object: {"did","score","factors":{factor:{"value","evidence","weight"}},"trust","newcomer",
"anchor","trustSource","unanchored"}.`,
  options: {},
  load: () => import("./run.js").then((m) => m.reputationCommand),
};
