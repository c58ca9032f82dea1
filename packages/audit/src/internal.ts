/**
 * @plexus/audit/internal — for Plexus's own packages; no compatibility promise. Holds stream and bucket names and
 * configs, sealer presence, merkle leaf hashing and the in-memory and JetStream tile stores, checkpoint-note parsing,
 * proof-file limits and the witness state path: what the CLI, the nodes, MCP and bench use to run and inspect an audit
 * chain.
 */
export { auditStreamNames, auditStreamConfigs } from "./store/jetstream-store.js";
export { meshLogBatches } from "./verify/stream-batches.js";
export { openSealerBucket, signPresence } from "./node/presence.js";
export { auditPresence } from "./query/status.js";
export { leafInput, eventLeafHash } from "./merkle/hash.js";
export { MemoryTree } from "./merkle/memory.js";
export { proveInclusionFromTiles } from "./merkle/prove.js";
export type { TileReader } from "./merkle/prove.js";
export { JetStreamTileStore, tileStreamConfig } from "./store/jetstream-tiles.js";
export { openCheckpointNote } from "./note/checkpoint-note.js";
export { MAX_PROOF_FILE_BYTES } from "./proof/check.js";
export { newestRootedCheckpoint } from "./proof/create.js";
export { witnessStatePath } from "./witness/state-file.js";
