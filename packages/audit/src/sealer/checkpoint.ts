/**
 * Signed checkpoints: "the chain had `size` links and its head was `head`", signed by the sealing registry's did:key.
 * The signature is Ed25519 over the RFC 8785 canonical JSON of { at, head, signer, size } (the checkpoint without
 * `sig`), base64url. The signer is part of what is signed, so a signature cannot be re-attributed.
 */
import { canonicalBytes } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";
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

export function signCheckpoint(key: KeyPair, cp: UnsignedCheckpoint): Checkpoint {
  const unsigned = { size: cp.size, head: cp.head, at: cp.at, signer: key.did };
  const sig = Buffer.from(key.sign(checkpointSigningBytes(unsigned))).toString("base64url");
  return { ...unsigned, sig };
}

/** True when `cp.sig` is `cp.signer`'s signature over the checkpoint. Says nothing about whether the signer is trusted. */
export function verifyCheckpoint(cp: Checkpoint): boolean {
  if (typeof cp?.sig !== "string" || typeof cp.signer !== "string") return false;
  if (!Number.isSafeInteger(cp.size) || cp.size < 0 || typeof cp.head !== "string" || !Number.isFinite(cp.at)) return false;
  const sig = Buffer.from(cp.sig, "base64url");
  return verifySignature(cp.signer, checkpointSigningBytes(cp), sig);
}
