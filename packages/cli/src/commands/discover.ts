/** `plexus discover`: find agents by capability, text and tag, ranked by relevance, reputation and liveness. */
import type { DiscoverQuery, DiscoverResult } from "@plexus/anp";
import { intOption, positionalArgs, stringOption, type CommandDef, type OptionValues } from "../common-options.js";
import { UsageError } from "../errors.js";
import { shortDid } from "../output.js";
import { columns, scoreOption, withRegistry } from "./registry.js";

const COMMAND = "discover";

export const discoverCommand: CommandDef = {
  name: COMMAND,
  summary: "find agents by capability, text or tag, best first",
  usage: "plexus discover [--capability C] [--query TEXT] [--tag T] [--min-score X] [--include-offline] [--limit N]",
  help: `Asks the registry for the agents that match, best first: ranked by relevance to the query, reputation score
and liveness. Offline and gone agents are left out unless --include-offline.

--json prints one JSON array, best first, of {"did","name","description","capabilities","tags","score","relevance",
"rank","factors","newcomer","exploration","liveness","lastHeartbeat","credential"}.

Options:
  --capability C      agents that have the capability C
  --query TEXT        free text, matched against names, descriptions, capabilities and tags
  --tag T             agents with the tag T
  --min-score X       reputation score of at least X (0 to 1)
  --include-offline   include offline and gone agents
  --limit N           at most N results (1 to 1000; default: the registry's)`,
  options: {
    capability: { type: "string" },
    query: { type: "string" },
    tag: { type: "string" },
    "min-score": { type: "string" },
    "include-offline": { type: "boolean" },
    limit: { type: "string" },
  },
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    const query = discoverQuery(values);
    const { result } = await withRegistry(common, COMMAND, (registry) => registry.discover(query));
    if (out.json) out.data("", result);
    else if (result.length === 0) out.data(`no matching agents in mesh "${common.mesh}"`, undefined);
    else out.data(resultTable(result), undefined);
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
  return query;
}

function resultTable(results: readonly DiscoverResult[]): string {
  const rows = results.map((r) => [shortDid(r.did), r.name, r.liveness, `${r.score.toFixed(2)}${r.newcomer ? " (new)" : ""}`, r.capabilities.join(",")]);
  return columns([["DID", "NAME", "LIVENESS", "SCORE", "CAPABILITIES"], ...rows]);
}
