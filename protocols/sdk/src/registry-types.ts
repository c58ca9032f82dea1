export type {
  AgentCard,
  Capability,
  DiscoverQuery,
  DiscoverResult,
  JoinResult,
  Rating,
  Reputation,
  AgentView,
  Liveness,
  Factor,
  FactorScore,
} from "@plexus/anp";
export type {
  AttestResult,
  RevokeResult,
  CapabilityClaim,
  CapabilityAttestation,
  TrustAnchorView,
  TrustResult,
  TrustAnchorRole,
} from "@plexus/anp";
export type { CredentialStatusView, CredentialRevocationView } from "@plexus/anp";
export type { Answer as AnswerOf } from "@plexus/anp";
export { RegistryClient } from "@plexus/anp";
