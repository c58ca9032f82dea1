/**
 * Signed checkpoints: "the chain had `size` links and its head was `head`", signed by the sealing registry's did:key.
 * The signature is Ed25519 over the RFC 8785 canonical JSON of { at, head, signer, size } (the checkpoint without
 * `sig`), base64url. The signer is part of what is signed, so a signature cannot be re-attributed.
 *
 * With the Merkle tree, a checkpoint also carries the tree's `root` (hex) and the same (size, root) as a C2SP
 * tlog-checkpoint signed note by the same key (`note`, note/checkpoint-note.ts): the JSON signature keeps vouching
 * for the chain head as before, the note for the root, in the format proofs and witnesses use.
 */
import { canonicalBytes } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";
import { openCheckpointNote, signCheckpointNote } from "../note/checkpoint-note.js";
import type { Checkpoint } from "../types.js";

export interface UnsignedCheckpoint {
  size: number;
  head: string;
  at: number;
}

/** The bytes a checkpoint's signature covers. */
export function checkpointSigningBytes(cp: UnsignedCheckpoint & { signer: string }): Uint8Array {
  return canonicalBytes({ size: cp.size, head: cp.head, at: cp.at, signer: cp.signer });
}

/** Signs a checkpoint; with `tree`, also its root as a checkpoint note for the log named `tree.origin`. */
export function signCheckpoint(
  key: KeyPair,
  cp: UnsignedCheckpoint,
  tree?: { origin: string; root: Uint8Array },
): Checkpoint {
  const unsigned = { size: cp.size, head: cp.head, at: cp.at, signer: key.did };
  const sig = Buffer.from(key.sign(checkpointSigningBytes(unsigned))).toString("base64url");
  if (!tree) return { ...unsigned, sig };
  const note = signCheckpointNote(key, { origin: tree.origin, size: cp.size, root: tree.root });
  return { ...unsigned, sig, root: Buffer.from(tree.root).toString("hex"), note };
}

/** True when `cp.sig` is `cp.signer`'s signature over the checkpoint. Says nothing about whether the signer is trusted. */
export function verifyCheckpoint(cp: Checkpoint): boolean {
  if (typeof cp?.sig !== "string" || typeof cp.signer !== "string") return false;
  if (!Number.isSafeInteger(cp.size) || cp.size < 0 || typeof cp.head !== "string" || !Number.isFinite(cp.at))
    return false;
  const sig = Buffer.from(cp.sig, "base64url");
  if (!verifySignature(cp.signer, checkpointSigningBytes(cp), sig)) return false;
  return cp.root === undefined && cp.note === undefined ? true : checkpointNoteHolds(cp);
}

/**
 * A checkpoint's tree fields: both present, the note signed by `cp.signer` (under the note's origin as key name), for
 * the same size, and its root equal to `cp.root`. (Which origin it should be is the verifier's question.)
 */
export function checkpointNoteHolds(cp: Checkpoint): boolean {
  if (typeof cp.root !== "string" || typeof cp.note !== "string") return false;
  const opened = openCheckpointNote(cp.note, [cp.signer]);
  return opened.ok && opened.head.size === cp.size && Buffer.from(opened.head.root).toString("hex") === cp.root;
}
