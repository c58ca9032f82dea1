/** `plexus reputation AGENT`: an agent's reputation score, its factors and the evidence behind them. */
import { FACTORS, type Reputation } from "@plexus/anp";
import { positionalArgs, type CommandImpl } from "../../common-options.js";
import { resolveAgent } from "../../lib/agent-ref.js";
import { columns } from "../../lib/columns.js";
import { withRegistry } from "../../lib/registry-request.js";
import { UNANCHORED_NOTE } from "../discover/run.js";

const COMMAND = "reputation";

export const reputationCommand: CommandImpl = {
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
