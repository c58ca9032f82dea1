/** `plexus discover`: find agents by capability, text and tag, ranked by relevance, reputation and liveness. */
import type { CapabilityClaim, DiscoverQuery, DiscoverResult } from "@plexus/anp";
import { intOption, positionalArgs, stringOption, type CommandDef, type OptionValues } from "../common-options.js";
import { UsageError } from "../errors.js";
import { shortDid } from "../output.js";
import { columns, scoreOption, withRegistry } from "./registry.js";

const COMMAND = "discover";

export const discoverCommand: CommandDef = {
  name: COMMAND,
  summary: "find agents by capability, text or tag, best first",
  usage: "plexus discover [--capability C] [--query TEXT] [--tag T] [--min-score X] [--include-offline] [--verified-only] [--issuer DID] [--limit N]",
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
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    const query = discoverQuery(values);
    const { result } = await withRegistry(common, COMMAND, (registry) => registry.discover(query));
    if (out.json) out.data("", result);
    else if (result.length === 0) out.data(`no matching agents in mesh "${common.mesh}"`, undefined);
    else out.data(resultTable(result) + (result.some((r) => r.unanchored) ? `\n${UNANCHORED_NOTE}` : ""), undefined);
  },
};

function discoverQuery(values: OptionValues): DiscoverQuery {
  const query: DiscoverQuery = {};
  for (const [flag, field] of [["capability", "capability"], ["query", "q"], ["tag", "tag"]] as const) {
    const v = stringOption(values, flag, COMMAND);
    if (v !== undefined && v.trim() === "") throw new UsageError(`--${flag} must not be empty`, COMMAND);
    if (v !== undefined) query[field] = v;
  }
  const minScore = scoreOption(values, "min-score", COMMAND);
  if (minScore !== undefined) query.minScore = minScore;
  const limit = intOption(values, "limit", COMMAND, 1, 1000);
  if (limit !== undefined) query.limit = limit;
  if (values["include-offline"] === true) query.includeOffline = true;
  if (values["verified-only"] === true) query.verifiedOnly = true;
  const issuer = stringOption(values, "issuer", COMMAND);
  if (issuer !== undefined && !/^did:[a-z0-9]+:\S+$/.test(issuer)) throw new UsageError(`--issuer must be a DID (did:key:…), got ${JSON.stringify(issuer)}`, COMMAND);
  if (issuer !== undefined) query.issuer = issuer;
  return query;
}

export const UNANCHORED_NOTE =
  "unanchored: this mesh has no trust anchor, so no agent's ratings or observations weigh and scores stay neutral (add one: plexus trust add DID --as OPERATORKEY)";

function resultTable(results: readonly DiscoverResult[]): string {
  const rows = results.map((r) => [
    shortDid(r.did),
    r.name,
    r.liveness,
    `${r.score.toFixed(2)}${r.newcomer ? " (new)" : ""}`,
    trustCell(r),
    evidenceCell(r.factors),
    capabilityCells(r),
  ]);
  return columns([["DID", "NAME", "LIVENESS", "SCORE", "TRUST", "EVIDENCE", "CAPABILITIES"], ...rows]);
}

/** `anchor`, `ratings 0.42`, `none`, or `unanchored`. */
export function trustCell(r: Pick<DiscoverResult, "trust" | "trustSource" | "unanchored">): string {
  if (r.unanchored) return "unanchored";
  return r.trustSource === "ratings" ? `ratings ${r.trust.toFixed(2)}` : r.trustSource;
}

/** `12 (w 3.40)`: samples on record over all factors, and the weight they carry. */
function evidenceCell(factors: DiscoverResult["factors"]): string {
  let count = 0;
  let weight = 0;
  for (const f of Object.values(factors)) {
    count += f.evidence;
    weight += f.weight;
  }
  return `${count} (w ${weight.toFixed(2)})`;
}

/** `translate (attested by did:key:z6Mk…abcd), summarise (self-declared)`. */
function capabilityCells(r: DiscoverResult): string {
  const claims: CapabilityClaim[] = r.claims ?? r.capabilities.map((name) => ({ name, attested: false, attestedBy: [] }));
  return claims.map((c) => `${c.name} (${c.attested ? `attested by ${[...new Set(c.attestedBy.map((a) => shortDid(a.issuer)))].join(", ")}` : "self-declared"})`).join(", ");
}
