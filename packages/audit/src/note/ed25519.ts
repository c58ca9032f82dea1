/**
 * The signed-note Ed25519 signature (type 0x01) with a Plexus did:key: signing a note text with a registry's KeyPair,
 * and a `NoteVerifier` for a pinned did:key. The key ID is SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4].
 */
import { publicKeyFromDid, verifySignature, type KeyPair } from "@plexus/identity";
import { noteKeyId, type NoteSignature, type NoteVerifier } from "./signed-note.js";

export const ED25519_NOTE_TYPE = 0x01;

export function ed25519NoteSignature(key: KeyPair, name: string, text: string): NoteSignature {
  return { name, keyId: noteKeyId(name, ED25519_NOTE_TYPE, key.publicKey), sig: key.sign(Buffer.from(text, "utf8")) };
}

/** A verifier for signatures by `did` under key name `name` (throws INVALID_DID for a DID that is not a did:key). */
export function ed25519NoteVerifier(name: string, did: string): NoteVerifier & { did: string } {
  const pub = publicKeyFromDid(did);
  return {
    name,
    did,
    keyId: noteKeyId(name, ED25519_NOTE_TYPE, pub),
    verify: (text, sig) => verifySignature(pub, Buffer.from(text, "utf8"), sig),
  };
}
