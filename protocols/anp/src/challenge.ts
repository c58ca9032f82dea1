import { randomBytes } from "node:crypto";
import { canonicalBytes } from "@plexus/core";
import { verifySignature, type KeyPair } from "@plexus/identity";

/**
 * Join challenges are stateless: a registry signs {nonce, mesh, did, exp}, so any registry node holding the
 * registry key can check one. Single use is enforced at admission: the AgentJoined event is published with
 * Nats-Msg-Id `join-<nonce>` (JetStream's duplicate window outlives the challenge), and projections remember
 * nonces they have seen.
 */
export interface ChallengeClaims {
  nonce: string;
  mesh: string;
  did: string;
  exp: number;
}

export const DEFAULT_CHALLENGE_TTL_MS = 60_000;

export function issueChallenge(
  registry: KeyPair,
  mesh: string,
  did: string,
  ttlMs = DEFAULT_CHALLENGE_TTL_MS,
  now = Date.now(),
): string {
  const claims: ChallengeClaims = { nonce: randomBytes(16).toString("base64url"), mesh, did, exp: now + ttlMs };
  const body = canonicalBytes(claims);
  return `${Buffer.from(body).toString("base64url")}.${registry.signBase64url(body)}`;
}

export type ChallengeCheck =
  | { ok: true; claims: ChallengeClaims }
  | { ok: false; reason: "challenge_invalid" | "challenge_expired"; detail: string };

export function checkChallenge(
  registryDids: ReadonlySet<string>,
  token: string,
  mesh: string,
  did: string,
  now = Date.now(),
): ChallengeCheck {
  const [body, sig, extra] = token.split(".");
  if (!body || !sig || extra !== undefined)
    return { ok: false, reason: "challenge_invalid", detail: "the challenge is not <claims>.<signature>" };
  const bodyBytes = Buffer.from(body, "base64url");
  const sigBytes = Buffer.from(sig, "base64url");
  if (![...registryDids].some((r) => verifySignature(r, bodyBytes, sigBytes))) {
    return { ok: false, reason: "challenge_invalid", detail: "the challenge was not issued by this registry" };
  }
  let claims: ChallengeClaims;
  try {
    claims = JSON.parse(bodyBytes.toString("utf8")) as ChallengeClaims;
  } catch {
    return { ok: false, reason: "challenge_invalid", detail: "the challenge claims are not JSON" };
  }
  if (claims.mesh !== mesh)
    return { ok: false, reason: "challenge_invalid", detail: `the challenge is for mesh "${claims.mesh}"` };
  if (claims.did !== did)
    return { ok: false, reason: "challenge_invalid", detail: "the challenge was issued to another DID" };
  if (typeof claims.exp !== "number" || claims.exp < now)
    return { ok: false, reason: "challenge_expired", detail: "the challenge has expired; ask for a new one" };
  return { ok: true, claims };
}
