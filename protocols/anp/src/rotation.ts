import { canonicalBytes } from "@plexus/core";
import { base58Decode, didFromPublicKey, publicKeyMultibase, verifySignature, type KeyPair } from "@plexus/identity";
import type { Rotation } from "./request.js";

/**
 * Key rotation. The old key signs the request (or, for a registry, the RegistryKeyRotated event) naming the new DID;
 * the new key signs a proof that it accepts the succession, bound to a nonce (the registry's challenge for agents,
 * the mesh for a registry). Both keys are needed, so neither a thief of the old key alone can move an identity to a
 * key it does not hold, nor a new key claim an old identity.
 */
export function rotationProofBytes(from: string, to: string, nonce: string): Uint8Array {
  return canonicalBytes({ type: "plexus.key-rotation", from, to, nonce });
}

export function makeRotation(
  oldKey: KeyPair,
  newKey: KeyPair,
  nonce: string,
  options: { compromised?: boolean } = {},
): Rotation {
  return {
    newDid: newKey.did,
    newPublicKey: publicKeyMultibase(newKey.publicKey),
    proof: newKey.signBase64url(rotationProofBytes(oldKey.did, newKey.did, nonce)),
    ...(options.compromised === true ? { compromised: true } : {}),
  };
}

/** Why a rotation body does not hold, or undefined when it does. */
export function rotationProblem(from: string, body: Rotation, nonce: string): string | undefined {
  if (body.compromised !== undefined && typeof body.compromised !== "boolean") return "compromised must be a boolean";
  let keyDid: string;
  try {
    const prefixed = base58Decode(body.newPublicKey.slice(1));
    if (!body.newPublicKey.startsWith("z") || prefixed.length !== 34 || prefixed[0] !== 0xed || prefixed[1] !== 0x01)
      return "newPublicKey is not a multibase Ed25519 key";
    keyDid = didFromPublicKey(prefixed.subarray(2));
  } catch {
    return "newPublicKey is not a multibase Ed25519 key";
  }
  if (keyDid !== body.newDid) return "newDid is not the did:key of newPublicKey";
  return rotationProofProblem(from, body.newDid, body.proof, nonce);
}

/** The nonce a registry's rotation proof is bound to. */
export const REGISTRY_ROTATION_NONCE = "registry";

/** Why `proof` is not `to`'s acceptance of succeeding `from`, or undefined when it is. */
export function rotationProofProblem(from: string, to: string, proof: string, nonce: string): string | undefined {
  if (to === from) return "the new key is the old key";
  const bytes = Buffer.from(proof, "base64url");
  try {
    if (bytes.length !== 64 || !verifySignature(to, rotationProofBytes(from, to, nonce), bytes))
      return "the proof is not the new key's signature over the rotation";
  } catch {
    return "the new DID is not a did:key";
  }
  return undefined;
}
