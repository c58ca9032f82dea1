import { canonicalBytes } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";

/**
 * Signed JSON documents of the registry protocol: Ed25519 over the RFC 8785 form of the object without `sig`,
 * signature in base64url. The same rule as envelopes, for objects that are not envelopes.
 */
export function signDocument<T extends object>(key: KeyPair, unsigned: T): T & { sig: string } {
  return { ...unsigned, sig: key.signBase64url(canonicalBytes(unsigned)) };
}

/** True when `doc.sig` is a valid signature by `signer` (a did:key or raw public key) over the rest of `doc`. */
export function verifyDocument(signer: string | Uint8Array, doc: { sig?: unknown }): boolean {
  if (typeof doc.sig !== "string") return false;
  const { sig, ...unsigned } = doc;
  let sigBytes: Uint8Array;
  try {
    sigBytes = Buffer.from(sig, "base64url");
  } catch {
    return false;
  }
  return verifySignature(signer, canonicalBytes(unsigned), sigBytes);
}
