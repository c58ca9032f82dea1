export { decayFactor, DecayedSumColumns } from "./decayed-sum.js";
export {
  EvidenceLedger,
  REGISTRY_OBSERVER,
  REGISTRY_ID,
  FACTOR_COUNT,
  PAIR_WIDTH,
  RATED,
  LEDGER_SNAPSHOT_FORMAT,
} from "./ledger.js";
export type { LedgerOptions, LedgerSnapshot, PairSnapshot, EvidenceView } from "./ledger.js";
export { computeTrust, AgentSpace } from "./trust.js";
export type { TrustOptions, TrustResult } from "./trust.js";
export { computeReputation, neutralReputation, DEFAULT_FACTOR_WEIGHTS } from "./model.js";
export type { ModelOptions, ReputationTable, ReputationBrief, TrustSource } from "./model.js";
