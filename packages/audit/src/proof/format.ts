/**
 * The proof files `plexus audit prove` writes and `plexus audit check-proof` (or `checkProof`) checks, with no server:
 *
 * Inclusion (`plexus-audit-inclusion/1`): the newest checkpoint note, the position (leaf index = position - 1), the
 * tree size, the event (subject and payload, base64: its leaf input is subject ‖ 0x00 ‖ payload, so whoever holds the
 * message can see it is this one), and the RFC 9162 inclusion path (base64 hashes, lowest first).
 *
 * Consistency (`plexus-audit-consistency/1`): an older checkpoint note, the newest one, and the RFC 9162 consistency
 * proof between them.
 *
 * `signer` names the did:key that signed the notes, as a hint: a checker pins the signer it trusts (`--signer`); with
 * none pinned, the hint is only used to say who signed.
 */
export const INCLUSION_FORMAT = "plexus-audit-inclusion/1";
export const CONSISTENCY_FORMAT = "plexus-audit-consistency/1";

export interface InclusionProofFile {
  format: typeof INCLUSION_FORMAT;
  mesh: string;
  signer: string;
  /** The checkpoint the proof is against: a C2SP tlog-checkpoint signed note. */
  checkpoint: string;
  position: number;
  /** position - 1. */
  index: number;
  size: number;
  subject: string;
  /** The event's payload, base64. */
  data: string;
  /** When the mesh stored the event, ms since the epoch (not covered by the proof: for people). */
  storedAt: number;
  /** The inclusion path, base64, lowest level first. */
  hashes: string[];
}

export interface ConsistencyProofFile {
  format: typeof CONSISTENCY_FORMAT;
  mesh: string;
  signer: string;
  /** The older checkpoint note. */
  from: string;
  /** The newer checkpoint note. */
  to: string;
  hashes: string[];
}

export type ProofFile = InclusionProofFile | ConsistencyProofFile;
