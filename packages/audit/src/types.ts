/**
 * The audit chain's wire types and the store interface every backend implements.
 *
 * Position n (1, 2, 3…) is the n-th event of the mesh's event log, i.e. mesh stream sequence n (the mesh stream denies
 * delete and purge, so its sequences are contiguous from 1). One link per event:
 *
 *   eventHash_n = SHA-256( subject (UTF-8) ‖ 0x00 ‖ payload bytes )
 *   h_0         = 32 zero bytes
 *   h_n         = SHA-256( h_{n-1} ‖ uint64 big-endian n ‖ eventHash_n )
 *
 * Hashes travel as lowercase hex. A checkpoint is (size, head) signed by the sealing registry's DID key.
 */
import type { TileStore } from "./merkle/tile-store.js";

/** One link of the chain, as stored. */
export interface ChainLink {
  /** Position: the mesh stream sequence of the event. */
  n: number;
  /** SHA-256 of the event (subject ‖ 0x00 ‖ payload), hex. */
  event: string;
  /** h_n, hex. */
  hash: string;
  /** The event's subject, for queries and for naming what broke. */
  subject: string;
  /** When the mesh stream stored the event, ms since the epoch. */
  storedAt: number;
  /**
   * The event's Merkle leaf hash, SHA-256(0x00 ‖ subject ‖ 0x00 ‖ payload) (RFC 9162), as the sealer computes it for
   * its tree. Never stored with the link (the tree's tiles hold it).
   */
  leaf?: Uint8Array;
}

/** A signed statement "the chain had `size` links and its head was `head`". */
export interface Checkpoint {
  size: number;
  head: string;
  /** When it was signed, ms since the epoch. */
  at: number;
  /** The signer's DID (the registry's did:key). */
  signer: string;
  /** Ed25519 over the RFC 8785 canonical form of { at, head, signer, size }, base64url. */
  sig: string;
  /** The Merkle tree's root (RFC 9162) over positions 1…size, hex. Absent on checkpoints signed before the tree. */
  root?: string;
  /**
   * The same (size, root) as a C2SP tlog-checkpoint signed note by the same key (`<origin>\n<size>\n<base64 root>\n`,
   * blank line, `— <origin> <base64(key ID ‖ Ed25519 signature)>`): what proofs, witnesses and other tlog tools
   * check. Present exactly when `root` is.
   */
  note?: string;
}

/** The head of a chain: how many links, and the last hash (h_0 when empty). */
export interface ChainHead {
  size: number;
  hash: string;
}

export type AppendResult =
  | { ok: true; size: number }
  /** Another writer appended first: the chain already has `size` links. */
  | { ok: false; conflict: true; size: number };

/**
 * Where the chain and its checkpoints live. Appends are optimistic: `append(link, expectedSize)` succeeds only if the
 * chain has exactly `expectedSize` links (JetStream expected-last-sequence; EventStoreDB expectedRevision), so several
 * sealers can run and exactly one wins each position. Backends refuse deletion and truncation.
 */
export interface AuditStore extends AsyncDisposable {
  readonly backend: string;
  head(): Promise<ChainHead>;
  append(link: ChainLink, expectedSize: number): Promise<AppendResult>;
  /** Links from position `from` to `to` (inclusive; default: the current end), in order. */
  links(from: number, to?: number): AsyncIterable<ChainLink>;
  link(n: number): Promise<ChainLink | undefined>;
  appendCheckpoint(checkpoint: Checkpoint): Promise<void>;
  checkpoints(): AsyncIterable<Checkpoint>;
  /** Where the Merkle tree's tiles live, when this backend stores them (merkle/tile-store.ts). */
  readonly tiles?: TileStore;
  close(): Promise<void>;
}

/** One event of the mesh's log as the sealer and verifier read it. */
export interface LogEvent {
  n: number;
  subject: string;
  data: Uint8Array;
  storedAt: number;
}
