/** `plexus reputation AGENT`: an agent's reputation score, its factors and the evidence behind them. */
import { FACTORS, type Reputation } from "@plexus/anp";
import { positionalArgs, type CommandDef } from "../common-options.js";
import { columns, resolveAgent, withRegistry } from "./registry.js";
import { UNANCHORED_NOTE } from "./discover.js";

const COMMAND = "reputation";

export const reputationCommand: CommandDef = {
  name: COMMAND,
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
  async run({ common, positionals, out }) {
    const [agentRef] = positionalArgs(positionals, ["AGENT"], COMMAND) as [string];
    const did = await resolveAgent(common, agentRef, COMMAND);
    const { result } = await withRegistry(common, COMMAND, (registry) => registry.reputation(did));
    out.data(reputationText(result), result);
  },
};

const TRUST_SOURCE: Record<Reputation["trustSource"], string> = {
  anchor: "a trust anchor: the operator trusts it",
  ratings: "from ratings by trusted raters",
  none: "none: no trusted rater has rated it",
};

function reputationText(r: Reputation): string {
  const head = [
    `did         ${r.did}`,
    `score       ${r.score.toFixed(2)}${r.newcomer ? " (newcomer: little trusted evidence yet)" : ""}`,
    `trust       ${r.trust.toFixed(2)} (${TRUST_SOURCE[r.trustSource]})`,
    ...(r.unanchored ? [UNANCHORED_NOTE] : []),
    "",
  ];
  const rows = FACTORS.map((f) => {
    const s = r.factors[f];
    return [f, s.value.toFixed(2), String(s.evidence), s.weight.toFixed(2)];
  });
  return [...head, columns([["FACTOR", "VALUE", "EVIDENCE", "WEIGHT"], ...rows])].join("\n");
}
