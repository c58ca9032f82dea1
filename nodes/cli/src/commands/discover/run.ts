/** `plexus discover`: find agents by capability, text and tag, ranked by relevance, reputation and liveness. */
import type { CapabilityClaim, DiscoverQuery, DiscoverResult } from "@plexus/anp";
import { intOption, positionalArgs, stringOption, type CommandImpl, type OptionValues } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { shortDid } from "../../output.js";
import { columns } from "../../lib/columns.js";
import { withRegistry } from "../../lib/registry-request.js";
import { scoreOption } from "../../lib/score-option.js";

const COMMAND = "discover";

export const discoverCommand: CommandImpl = {
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
  for (const [flag, field] of [
    ["capability", "capability"],
    ["query", "q"],
    ["tag", "tag"],
  ] as const) {
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
  if (issuer !== undefined && !/^did:[a-z0-9]+:\S+$/.test(issuer))
    throw new UsageError(`--issuer must be a DID (did:key:…), got ${JSON.stringify(issuer)}`, COMMAND);
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
  const claims: CapabilityClaim[] =
    r.claims ?? r.capabilities.map((name) => ({ name, attested: false, attestedBy: [] }));
  return claims
    .map(
      (c) =>
        `${c.name} (${c.attested ? `attested by ${[...new Set(c.attestedBy.map((a) => shortDid(a.issuer)))].join(", ")}` : "self-declared"})`,
    )
    .join(", ");
}
