/**
 * The small records the sealers keep in their bucket (the writer lease, the presence records) are signed by the key
 * that signs the sealer's checkpoints: Ed25519 over the RFC 8785 canonical JSON of the record without `sig`, with the
 * signer's did:key in the record. The bucket is writable by every holder of the mesh's service credentials, so a record
 * counts only when its signature holds and its signer is one the reader trusts (the registry key and its successors).
 */
import { canonicalBytes } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";

export type Signed<T> = T & { signer: string; sig: string };

export function signRecord<T extends object>(key: KeyPair, record: T): Signed<T> {
  const unsigned = { ...record, signer: key.did };
  return { ...unsigned, sig: Buffer.from(key.sign(canonicalBytes(unsigned))).toString("base64url") };
}

/** The signature holds for the `signer` the record names (which says nothing yet about whether to trust that key). */
export function verifyRecord(record: unknown): boolean {
  if (typeof record !== "object" || record === null) return false;
  const { sig, ...unsigned } = record as { sig?: unknown; signer?: unknown };
  if (typeof sig !== "string" || typeof unsigned.signer !== "string") return false;
  try {
    return verifySignature(unsigned.signer, canonicalBytes(unsigned), Buffer.from(sig, "base64url"));
  } catch {
    return false;
  }
}

/** Who a reader believes: the keys given, or (none given) any key whose signature holds. */
export type TrustedSigners = ReadonlySet<string> | undefined;

export function trustedRecord(record: unknown, trusted: TrustedSigners): boolean {
  return verifyRecord(record) && (trusted === undefined || trusted.has((record as { signer: string }).signer));
}
