/**
 * C2SP tlog-cosignature, Ed25519 (signed-note signature type 0x04): a witness's statement that, as of a time, the
 * checkpoint is the largest consistent tree head it has seen for the log. The signature line is
 * `— <witness name> base64(key ID ‖ uint64be(timestamp) ‖ Ed25519 signature)`, key ID =
 * SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], over `cosignature/v1\ntime <timestamp>\n` ‖ the checkpoint body.
 *
 * The building block of the witnesses (witness/): a cosignature is one more `NoteVerifier` / signature line on the
 * same checkpoint note the registry signed, so `openNote` checks log signature and cosignatures in one pass.
 */
import { publicKeyFromDid, verifySignature, type KeyPair } from "@plexus/identity";
import { formatNote, noteKeyId, parseNote, type NoteSignature, type NoteVerifier } from "./signed-note.js";

export const COSIGNATURE_NOTE_TYPE = 0x04;
const MAX_TIMESTAMP = 2n ** 63n - 1n;

function cosignedMessage(text: string, timestamp: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, "utf8");
}

/** A witness's cosignature of a checkpoint body at `time` (POSIX seconds). */
export function cosignatureSignature(key: KeyPair, name: string, text: string, time: number): NoteSignature {
  const timestamp = BigInt(Math.floor(time));
  const sig = Buffer.alloc(8 + 64);
  sig.writeBigUInt64BE(timestamp, 0);
  sig.set(key.sign(cosignedMessage(text, timestamp)), 8);
  return { name, keyId: noteKeyId(name, COSIGNATURE_NOTE_TYPE, key.publicKey), sig };
}

/** Adds a cosignature line to a signed note (its existing signatures kept). */
export function cosignNote(note: string, key: KeyPair, name: string, time: number): string {
  const parsed = parseNote(note);
  if (!parsed.ok) throw new RangeError(`not a signed note: ${parsed.reason}`);
  return formatNote({
    text: parsed.note.text,
    signatures: [...parsed.note.signatures, cosignatureSignature(key, name, parsed.note.text, time)],
  });
}

/** A verifier for the witness `name` with the did:key `did`; `timestamps` collects the times of verified cosignatures. */
export function cosignatureVerifier(name: string, did: string, timestamps?: number[]): NoteVerifier & { did: string } {
  const pub = publicKeyFromDid(did);
  return {
    name,
    did,
    keyId: noteKeyId(name, COSIGNATURE_NOTE_TYPE, pub),
    verify(text, sig) {
      if (sig.length !== 8 + 64) return false;
      const timestamp = Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength).readBigUInt64BE(0);
      if (timestamp > MAX_TIMESTAMP) return false;
      const ok = verifySignature(pub, cosignedMessage(text, timestamp), sig.subarray(8));
      if (ok) timestamps?.push(Number(timestamp));
      return ok;
    },
  };
}
