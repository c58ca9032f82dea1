/**
 * Part 2 of the identity benchmark: verifying capability credentials (VC-JWTs). The same tokens are checked three
 * ways, each sequentially on this thread for a fixed time:
 *   strict     verifyCapabilityCredential (@plexus/identity: its own checks and Ed25519 with the kid's key, then
 *              did-jwt-vc as a second opinion), what the registry runs on every `attest`;
 *   library    did-jwt-vc's own verifyCredential (proofPurpose assertionMethod), with the same did:key resolver;
 *   signature  verifySignature (libsodium) on the token's signing input with the issuer's raw key: the floor.
 */
import { verifyCredential } from "did-jwt-vc";
import {
  decodeJwt,
  didKeyResolver,
  generateKeyPair,
  issueCapabilityCredential,
  publicKeyFromDid,
  verifyCapabilityCredential,
  verifySignature,
} from "@plexus/identity";
import { log, now, round } from "./lib.js";

const ISSUERS = 8;
const TOKENS = 64;

export interface VerifyFigures {
  per_s: number;
  us_per_op: number;
  ops: number;
}

export interface CredentialFigures {
  strict: VerifyFigures;
  library: VerifyFigures;
  signature: VerifyFigures;
  /** strict / library and strict / signature, in verifications per second. */
  strict_vs_library: number;
  strict_vs_signature: number;
  library_vs_signature: number;
  token_bytes: number;
}

/** Calls `op` over and over (one at a time) for at least `ms` and at least `minOps` times. */
async function timed(ms: number, minOps: number, op: (i: number) => unknown): Promise<VerifyFigures> {
  let ops = 0;
  const t0 = now();
  let elapsed = 0;
  while (elapsed < ms || ops < minOps) {
    // Batches of 16 keep the clock reads out of the figure.
    for (let k = 0; k < 16; k++) {
      const r = op(ops++);
      if (r instanceof Promise) await r;
    }
    elapsed = now() - t0;
  }
  return { per_s: Math.round((ops * 1000) / elapsed), us_per_op: round((elapsed * 1000) / ops, 1), ops };
}

export async function credentials(quick: boolean): Promise<CredentialFigures> {
  const ms = quick ? 1_000 : 4_000;
  const issuers = Array.from({ length: ISSUERS }, () => generateKeyPair());
  const tokens = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) =>
      issueCapabilityCredential(issuers[i % ISSUERS]!, {
        subject: generateKeyPair().did,
        capabilities: ["translate", "summarise"],
        ttlMs: 3_600_000,
        mesh: "bench",
      }),
    ),
  );
  const jwts = tokens.map((t) => t.jwt);
  const resolver = await didKeyResolver();
  const raw = jwts.map((jwt) => {
    const { signingInput, signature, payload } = decodeJwt(jwt);
    return { signingInput, signature, key: publicKeyFromDid(payload.iss as string) };
  });

  const strict = async (i: number) => {
    await verifyCapabilityCredential(jwts[i % TOKENS]!, { mesh: "bench" });
  };
  const library = async (i: number) => {
    await verifyCredential(jwts[i % TOKENS]!, resolver, { proofPurpose: "assertionMethod" });
  };
  const signature = (i: number) => {
    const r = raw[i % TOKENS]!;
    if (!verifySignature(r.key, r.signingInput, r.signature))
      throw new Error("a benchmark token's signature does not verify");
  };
  // Warm-up: JIT, the lazily loaded resolver and libraries.
  await timed(quick ? 200 : 500, 64, strict);
  await timed(quick ? 200 : 500, 64, library);
  await timed(100, 64, signature);

  const s = await timed(ms, 64, strict);
  log(`identity: verifyCapabilityCredential ${s.per_s}/s (${s.us_per_op} µs)`);
  const l = await timed(ms, 64, library);
  log(`identity: did-jwt-vc verifyCredential ${l.per_s}/s (${l.us_per_op} µs)`);
  const g = await timed(ms, 1_000, signature);
  log(`identity: Ed25519 verifySignature ${g.per_s}/s (${g.us_per_op} µs)`);
  return {
    strict: s,
    library: l,
    signature: g,
    strict_vs_library: round(s.per_s / l.per_s, 3),
    strict_vs_signature: round(s.per_s / g.per_s, 4),
    library_vs_signature: round(l.per_s / g.per_s, 4),
    token_bytes: jwts[0]!.length,
  };
}
