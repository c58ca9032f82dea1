/**
 * DID resolution for credential verification: did:key through key-did-resolver by default (any did-resolver
 * Resolvable can be given), and reading an Ed25519 public key out of a verification method of the resolved document.
 */
import type { DIDDocument, Resolvable, VerificationMethod } from "did-resolver";
import { base58Decode } from "./base58.js";
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_PUB_MULTICODEC } from "./did-key.js";

export type { Resolvable } from "did-resolver";

let defaultResolver: Promise<Resolvable> | undefined;

/** did-resolver with key-did-resolver, loaded on first use (most processes never verify a credential). */
export function didKeyResolver(): Promise<Resolvable> {
  defaultResolver ??= Promise.all([import("did-resolver"), import("key-did-resolver")]).then(
    ([{ Resolver }, { getResolver }]) => new Resolver(getResolver()) as Resolvable,
  );
  return defaultResolver;
}

const ED25519_TYPES = new Set([
  "Ed25519VerificationKey2018",
  "Ed25519VerificationKey2020",
  "JsonWebKey2020",
  "Multikey",
]);

/** Absolute form of a (possibly relative, `#…`) DID URL of `did`'s document. */
export function absoluteId(id: string, did: string): string {
  return id.startsWith("#") ? `${did}${id}` : id;
}

/** The verification method `id` of the document, wherever it is declared (verificationMethod, or embedded in a relationship). */
export function findVerificationMethod(doc: DIDDocument, id: string): VerificationMethod | undefined {
  const embedded = (
    ["assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"] as const
  ).flatMap((rel) => (doc[rel] ?? []).filter((m): m is VerificationMethod => typeof m === "object" && m !== null));
  return [
    ...(doc.verificationMethod ?? []),
    ...((doc as { publicKey?: VerificationMethod[] }).publicKey ?? []),
    ...embedded,
  ].find((m) => absoluteId(m.id, doc.id) === id);
}

/** True when the document lists verification method `id` among its assertion methods (by reference or embedded). */
export function isAssertionMethod(doc: DIDDocument, id: string): boolean {
  return (doc.assertionMethod ?? []).some((m) => absoluteId(typeof m === "string" ? m : m.id, doc.id) === id);
}

/** The raw 32-byte Ed25519 key of a verification method, or undefined when it is not an Ed25519 key. */
export function ed25519KeyOf(vm: VerificationMethod): Uint8Array | undefined {
  if (!ED25519_TYPES.has(vm.type)) return undefined;
  try {
    if (vm.publicKeyBase58 !== undefined) return exact(base58Decode(vm.publicKeyBase58));
    if (vm.publicKeyMultibase?.startsWith("z")) {
      const bytes = base58Decode(vm.publicKeyMultibase.slice(1));
      const prefixed =
        bytes.length === ED25519_PUBLIC_KEY_LENGTH + 2 &&
        bytes[0] === ED25519_PUB_MULTICODEC[0] &&
        bytes[1] === ED25519_PUB_MULTICODEC[1];
      return exact(prefixed ? bytes.subarray(2) : bytes);
    }
    const jwk = vm.publicKeyJwk;
    if (jwk !== undefined && jwk.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.x === "string")
      return exact(Buffer.from(jwk.x, "base64url"));
  } catch {
    return undefined;
  }
  return undefined;
}

function exact(bytes: Uint8Array): Uint8Array | undefined {
  return bytes.length === ED25519_PUBLIC_KEY_LENGTH ? Uint8Array.from(bytes) : undefined;
}
