export { CardIndex, tokenize } from "./card-index.js";
export type { CandidateQuery, Candidate, CandidateVisitor } from "./card-index.js";
export {
  rankDiscovery,
  explorationSlots,
  DEFAULT_LIVENESS_WEIGHT,
  DEFAULT_DISCOVER_LIMIT,
  MAX_DISCOVER_LIMIT,
} from "./rank.js";
export type { RankedAgentInfo, RankLookup, RankOptions } from "./rank.js";
