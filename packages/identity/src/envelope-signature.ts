import { createHash } from "node:crypto";
import { canonicalBytes, type Envelope, type UnsignedEnvelope } from "@plexus/core";
import type { KeyPair } from "./keypair.js";
import { publicKeyFromDid } from "./did-key.js";
import { verifySignature } from "./keypair.js";
import { sharedCryptoPool, type CryptoPool } from "./crypto-pool.js";

/**
 * Envelope signatures: Ed25519 by the key of `from` over the RFC 8785 canonical JSON of the envelope without `sig`.
 * The envelope's hash (what the next envelope of the channel names as `prev`) is SHA-256 of those same signed
 * bytes, base64url: it commits to every field, and costs the reader nothing beyond the verification it does anyway.
 */
function signedBytes(envelope: UnsignedEnvelope | Envelope): Uint8Array {
  if (!("sig" in envelope)) return canonicalBytes(envelope);
  const { sig: _sig, ...unsigned } = envelope;
  return canonicalBytes(unsigned);
}

function hashOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64url");
}

/** The bytes an envelope's signature covers, and its hash (what the channel's next envelope names as `prev`). */
export function signingInput(unsigned: UnsignedEnvelope): { bytes: Uint8Array; hash: string } {
  const bytes = signedBytes(unsigned);
  return { bytes, hash: hashOf(bytes) };
}

/** How many bytes the signature adds to the canonical form on the wire (`,"sig":"<86 characters>"`). */
export const WIRE_SIGNATURE_BYTES = 95;

/**
 * The envelope with its signature, and its wire form: the signed canonical bytes with `"sig"` appended as the last
 * member. No second serialisation; any JSON parser reads it, and a reader recomputes the canonical form anyway.
 */
export function attachSignature(
  unsigned: UnsignedEnvelope,
  bytes: Uint8Array,
  sig: string,
): { envelope: Envelope; wire: Uint8Array } {
  const tail = Buffer.from(`,"sig":"${sig}"}`);
  const wire = Buffer.allocUnsafe(bytes.length - 1 + tail.length);
  wire.set(bytes.subarray(0, bytes.length - 1), 0);
  wire.set(tail, bytes.length - 1);
  return { envelope: { ...unsigned, sig }, wire };
}

export function signEnvelope(unsigned: UnsignedEnvelope, key: KeyPair): { envelope: Envelope; hash: string } {
  const bytes = signedBytes(unsigned);
  const sig = key.signBase64url(bytes);
  return { envelope: { ...unsigned, sig }, hash: hashOf(bytes) };
}

/** Checks the signature against the DID in `from`. Never throws on bad input. */
export function verifyEnvelope(envelope: Envelope): { ok: boolean; hash: string } {
  const bytes = signedBytes(envelope);
  const sig = Buffer.from(envelope.sig, "base64url");
  return { ok: verifySignature(envelope.from, bytes, sig), hash: hashOf(bytes) };
}

const publicKeys = new Map<string, Uint8Array | null>();

function publicKeyOf(did: string): Uint8Array | null {
  let pk = publicKeys.get(did);
  if (pk === undefined) {
    try {
      pk = publicKeyFromDid(did);
    } catch {
      pk = null;
    }
    if (publicKeys.size >= 10_000) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(did, pk);
  }
  return pk;
}

/**
 * `verifyEnvelope` with the signature checked off the caller's thread, in batches (CryptoPool): what a reader uses,
 * so its event loop stays free for acks and handlers.
 */
export async function verifyEnvelopeAsync(
  envelope: Envelope,
  pool: CryptoPool = sharedCryptoPool(),
  withHash = true,
): Promise<{ ok: boolean; hash: string }> {
  const bytes = signedBytes(envelope);
  // An observer that chains nothing (the registry) skips the SHA-256: "" then.
  const hash = withHash ? hashOf(bytes) : "";
  const pk = publicKeyOf(envelope.from);
  if (!pk) return { ok: false, hash };
  return { ok: await pool.verify(pk, bytes, Buffer.from(envelope.sig, "base64url")), hash };
}

export function envelopeHash(envelope: Envelope | UnsignedEnvelope): string {
  return hashOf(signedBytes(envelope));
}
