/**
 * @plexus/audit — the hash-chained audit of a mesh (layer: packages; imports core, identity, bus): stores (JetStream,
 * EventStoreDB), the sealer and its node (writer lease, presence, stall watch), checkpoints, the verifier, export,
 * query, the Merkle tree (RFC 9162, C2SP tiles), signed notes and inclusion/consistency proofs, witnesses.
 */
export type { Checkpoint, AuditStore, LogEvent } from "./types.js";
export { openJetStreamAuditStore, ensureAuditStreams } from "./store/jetstream-store.js";
export { openEventStoreAuditStore } from "./store/eventstore-store.js";
export { readMeshLog, meshLogEnd } from "./store/mesh-log.js";
export { startSealer } from "./sealer/sealer.js";
export type { Sealer } from "./sealer/sealer.js";
export { KeepUpJudge } from "./sealer/keep-up.js";
export { startSealerNode } from "./node/sealer-node.js";
export type { SealerNode } from "./node/sealer-node.js";
export { readSealerPresence, STALE_MS } from "./node/presence.js";
export type { SealerSighting } from "./node/presence.js";
export { WriterLease } from "./node/lease.js";
export { serveSealerHealth } from "./node/health-http.js";
export type { HealthServer, SealerStatusEnvelope } from "./node/health-http.js";
export { signCheckpoint, verifyCheckpoint } from "./sealer/checkpoint.js";
export { verifyChain } from "./verify/verifier.js";
export type { VerifyReport } from "./verify/verifier.js";
export { exportAudit } from "./export/exporter.js";
export type { ExportSummary } from "./export/exporter.js";
export { readExport } from "./export/reader.js";
export { queryAudit, positionAt } from "./query/query.js";
export type { AuditMatch } from "./query/query.js";
export { verifyStore, exportStore, queryStore } from "./verify/live.js";
export { auditStatus } from "./query/status.js";
export { rootAt, inclusionPath, consistencyPath } from "./merkle/tree.js";
export type { NodeSource } from "./merkle/tree.js";
export { verifyInclusion, verifyConsistency } from "./merkle/verify.js";
export { TreeBuilder } from "./merkle/tree-builder.js";
export type { Tile, TreeSnapshot } from "./merkle/tree-builder.js";
export { EventStoreTileStore } from "./store/eventstore-tiles.js";
export { openNote } from "./note/signed-note.js";
export type { NoteVerifier } from "./note/signed-note.js";
export { defaultOrigin } from "./note/checkpoint-note.js";
export { INCLUSION_FORMAT, CONSISTENCY_FORMAT } from "./proof/format.js";
export type { InclusionProofFile, ConsistencyProofFile, ProofFile } from "./proof/format.js";
export { checkProof } from "./proof/check.js";
export type { ProofCheck, ProofFailure, CheckProofOptions } from "./proof/check.js";
export { proveInclusion, proveConsistency } from "./proof/create.js";
export { checkpointLookup } from "./store/checkpoint-lookup.js";
export type { ProofSource } from "./proof/create.js";
export { cosignNote, cosignatureVerifier } from "./note/cosignature.js";
// Witnesses: cosign a checkpoint only when consistent with the last one cosigned; their state outside the mesh.
export { witnessCheckpoint, newWitnessState } from "./witness/witness.js";
export type { WitnessState } from "./witness/witness.js";
export { loadWitnessState, saveWitnessState } from "./witness/state-file.js";
export { witnessedCheckpoint } from "./witness/witnessed.js";
export { logHoldsHead, uncoveredTail } from "./witness/against-log.js";
export { exportHoldsHead } from "./witness/against-export.js";
export type { LogAgainstHead } from "./witness/against-log.js";
