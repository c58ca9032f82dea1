import { createHash } from "node:crypto";
import { canonicalBytes, type Envelope, type UnsignedEnvelope } from "@plexus/core";
import type { KeyPair } from "./keypair.js";
import { verifySignature, verifySignatureAsync } from "./keypair.js";

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

/** `verifyEnvelope` with the signature check on libuv's thread pool. */
export async function verifyEnvelopeAsync(envelope: Envelope): Promise<{ ok: boolean; hash: string }> {
  const bytes = signedBytes(envelope);
  const sig = Buffer.from(envelope.sig, "base64url");
  return { ok: await verifySignatureAsync(envelope.from, bytes, sig), hash: hashOf(bytes) };
}

export function envelopeHash(envelope: Envelope | UnsignedEnvelope): string {
  return hashOf(signedBytes(envelope));
}
