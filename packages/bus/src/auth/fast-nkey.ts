/**
 * nkeys with a fast signer. @nats-io/nkeys signs with pure-JS Ed25519 (tweetnacl) and rebuilds the pair from the seed
 * on every call: ~12 ms per signature here, so issuing a user JWT or answering a server's nonce blocked the event loop
 * for tens of ms. These pairs sign the same bytes with the identity KeyPair (libsodium when present, else
 * node:crypto) and compute their public key once; Ed25519 is deterministic, so signatures are byte-identical.
 */
import { fromSeed, type KeyPair as NKeyPair } from "@nats-io/nkeys";
import type { Authenticator } from "@nats-io/transport-node";
import { keyPairFromSeed, verifySignature } from "@plexus/identity";
import { rawSeedOf } from "./nkey-codec.js";

/** An nkeys KeyPair for an encoded seed ("SU…", "SA…", "SO…") that signs through the identity KeyPair. */
export function fastNKey(encodedSeed: Uint8Array): NKeyPair {
  const nkey = fromSeed(encodedSeed);
  const key = keyPairFromSeed(rawSeedOf(encodedSeed));
  const publicKey = nkey.getPublicKey();
  // @nats-io/jwt asks for it on every encode, only to check that the key is a seed: computed once.
  let privateKey: Uint8Array | undefined;
  return {
    getPublicKey: () => publicKey,
    getPrivateKey: () => (privateKey ??= nkey.getPrivateKey()),
    getSeed: () => nkey.getSeed(),
    sign: (data: Uint8Array) => key.sign(data),
    verify: (data: Uint8Array, sig: Uint8Array) => verifySignature(key.publicKey, data, sig),
    clear: () => nkey.clear(),
    // Curve operations: not for Ed25519 keys (nkeys refuses them the same way).
    seal: (input: Uint8Array, recipient: string, nonce?: Uint8Array) => nkey.seal(input, recipient, nonce),
    open: (message: Uint8Array, sender: string) => nkey.open(message, sender),
  };
}

const CREDS = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}\n))/gi;

/** The JWT and the encoded seed in a .creds file's content. */
export function parseCreds(creds: Uint8Array | string): { jwt: string; seed: Uint8Array } {
  const text = typeof creds === "string" ? creds : new TextDecoder().decode(creds);
  const blocks = [...text.matchAll(CREDS)].map((m) => (m[1] ?? "").trim());
  if (blocks.length < 2) throw new Error("unable to parse credentials: expected a JWT block and a seed block");
  return { jwt: blocks[0] as string, seed: new TextEncoder().encode(blocks[1]) };
}

/** What nats.js's jwtAuthenticator does (JWT, public key, nonce signature in base64), with a fast signer. */
export function fastJwtAuthenticator(jwt: () => string, seed: Uint8Array): Authenticator {
  const key = fastNKey(seed);
  return (nonce?: string) => ({
    jwt: jwt(),
    nkey: key.getPublicKey(),
    sig: nonce ? Buffer.from(key.sign(new TextEncoder().encode(nonce))).toString("base64") : "",
  });
}
