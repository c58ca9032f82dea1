/** The `plexus discover` entry of the command table (its implementation in ./run.ts, loaded on dispatch). */
import type { CommandSpec } from "../../table/types.js";

export const command: CommandSpec = {
  name: "discover",
  summary: "find agents by capability, text or tag, best first",
  usage:
    "plexus discover [--capability C] [--query TEXT] [--tag T] [--min-score X] [--include-offline] [--verified-only] [--issuer DID] [--limit N]",
  help: `Asks the registry for the agents that match, best first: ranked by relevance to the query, reputation score
and liveness. Offline and gone agents are left out unless --include-offline. Each capability shows whether it is
only self-declared (the agent's card says so) or attested by a live capability credential, and by whom.

Why each score is what it is: TRUST says where the agent's trust comes from (anchor: the operator trusts it;
ratings: trusted raters rated it; none) and EVIDENCE how many samples are on record about it and how much weight they
carry (only evidence from trusted sources weighs). On a mesh without any trust anchor every score is unweighted
(marked "unanchored"): nobody's ratings count until the operator adds one (plexus trust add).

--json prints one JSON array, best first, of {"did","name","description","capabilities","tags","score","relevance",
"rank","factors","newcomer","trust","trustSource","unanchored","exploration","liveness","lastHeartbeat","credential",
"claims"}; claims lists each capability as {"name","attested","attestedBy":[{"issuer","credentialId","issuedAt",
"expiresAt"}]}.

Options:
  --capability C      agents that have the capability C
  --query TEXT        free text, matched against names, descriptions, capabilities and tags
  --tag T             agents with the tag T
  --min-score X       reputation score of at least X (0 to 1)
  --include-offline   include offline and gone agents
  --verified-only     only agents whose matched capability (--capability C, else any) is attested by a live
                      capability credential (see plexus credential)
  --issuer DID        only capabilities attested by DID (implies --verified-only)
  --limit N           at most N results (1 to 1000; default: the registry's)`,
  options: {
    capability: { type: "string" },
    query: { type: "string" },
    tag: { type: "string" },
    "min-score": { type: "string" },
    "include-offline": { type: "boolean" },
    "verified-only": { type: "boolean" },
    issuer: { type: "string" },
    limit: { type: "string" },
  },
  load: () => import("./run.js").then((m) => m.discoverCommand),
};
