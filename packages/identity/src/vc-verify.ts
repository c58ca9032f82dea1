/**
 * The one strict verifier of Plexus VC-JWTs (membership and capability credentials alike).
 *
 * did-jwt 8 / did-jwt-vc 4 check the signature against *any* key of the issuer's document (the `kid` header is not
 * used to pick the key), accept any algorithm they know, allow 300 s of clock skew, look at assertionMethod only
 * when asked (`proofPurpose`), and ignore a `crit` header. This adds, before them, in this order: no `crit` header
 * at all (RFC 7515 §4.1.11: Plexus understands no JWS extension, so it refuses any marked critical); EdDSA only; a
 * `kid` that names a key of the issuer (`iss`) itself; `iss` equal to the credential's `issuer`; the credential type;
 * the type's own claims (`checkSubject`: the mesh); the issuer among those trusted; the audience; expiry, `nbf` and
 * `iat` with a small skew; the key among the issuer's assertion methods; and the signature checked with exactly that
 * key. Then did-jwt-vc verifies the token too (proofPurpose assertionMethod, same clock and audience), as a second
 * opinion: it only ever adds refusals, it never makes a refused token pass.
 * Every refusal is CREDENTIAL_INVALID with a stable `details.reason` (CredentialRejection).
 */
import type { DIDDocument, Resolvable } from "did-resolver";
import { verifySignature } from "./keypair.js";
import { CredentialRejection as R, credentialError } from "./vc-errors.js";
import { decodeJwt, numericDate, stringList, type JwtPayload } from "./vc-jwt.js";
import { absoluteId, didKeyResolver, ed25519KeyOf, findVerificationMethod, isAssertionMethod } from "./vc-resolver.js";
import { didJwtVc } from "./vc-lib.js";

export const VC_CONTEXT_V1 = "https://www.w3.org/2018/credentials/v1";
export const VC_BASE_TYPE = "VerifiableCredential";
/** Clock skew allowed on nbf, iat and exp (default 60 s; did-jwt's own default is 300 s). */
export const DEFAULT_VC_SKEW_MS = 60_000;

export interface VerifyVcOptions {
  /** The credential type required besides VerifiableCredential (e.g. PlexusCapabilityCredential). */
  type: string;
  /** What this verifier answers to (its DID, a URL…). A token that names an audience must name one of these. */
  audience?: string | readonly string[];
  /** Refuse a token that names no audience. */
  requireAudience?: boolean;
  /** Accept only these issuers (IssuerUntrusted otherwise). */
  issuers?: ReadonlySet<string>;
  /** The time to check validity at (ms; default now). */
  now?: number;
  skewMs?: number;
  /** DID resolver (default: did:key). */
  resolver?: Resolvable;
  /**
   * Checks of the credential type's own claims (a bound mesh…), run once the header and claims are read and before
   * the issuer, audience, times and signature: a credential for another mesh is refused as such (wrong_mesh) even
   * when its issuer is not one this verifier trusts there. Throw a credentialError to refuse.
   */
  checkSubject?: (credentialSubject: Record<string, unknown>) => void;
}

export interface VerifiedVc {
  jwt: string;
  /** The credential id (`jti`), e.g. urn:uuid:…. */
  id: string;
  issuer: string;
  /** The verification method that signed it (absolute DID URL). */
  kid: string;
  subject: string;
  types: string[];
  /** The credentialSubject, with `id` set to the subject. */
  credentialSubject: Record<string, unknown> & { id: string };
  /** nbf (else iat), ms. */
  issuedAt: number;
  expiresAt: number;
  audience: string[];
  payload: JwtPayload;
}

export async function verifyVcJwt(jwt: string, options: VerifyVcOptions): Promise<VerifiedVc> {
  const { header, payload, signingInput, signature } = decodeJwt(jwt);
  // First: a critical extension may change what the rest of the header or the signature means (RFC 7797's b64).
  if (Object.hasOwn(header, "crit"))
    throw credentialError(
      R.CritUnsupported,
      `the header marks ${JSON.stringify(header.crit).slice(0, 200)} critical; Plexus understands no JWS extension`,
    );
  if (header.alg !== "EdDSA")
    throw credentialError(R.AlgNotAllowed, `alg ${JSON.stringify(header.alg ?? null)} is not allowed; only EdDSA`);
  if (typeof header.kid !== "string" || header.kid.length === 0)
    throw credentialError(R.KidMissing, "the header has no kid naming the signing key");
  const claims = readClaims(payload, options.type);
  const kid = absoluteId(header.kid, claims.issuer);
  if (kid.split("#")[0] !== claims.issuer)
    throw credentialError(R.KidNotIssuer, `kid ${kid} is not a key of the issuer ${claims.issuer}`);
  options.checkSubject?.(claims.credentialSubject);
  if (options.issuers && !options.issuers.has(claims.issuer)) {
    const why =
      options.issuers.size === 0
        ? "this verifier was given no issuer to accept"
        : "it is not one this verifier accepts";
    throw credentialError(R.IssuerUntrusted, `issuer ${claims.issuer}: ${why}`);
  }
  const audience = checkAudience(payload, options);
  const { now, skew } = checkTimes(claims, numericDate(payload.iat, "iat"), options);
  const resolver = options.resolver ?? (await didKeyResolver());
  const doc = await resolveDocument(resolver, claims.issuer);
  checkKey(doc, kid, signingInput, signature);
  await secondOpinion(jwt, resolver, audience[0], now, skew);
  return { jwt, kid, audience, payload, ...claims };
}

type Claims = Pick<VerifiedVc, "id" | "issuer" | "subject" | "types" | "credentialSubject" | "issuedAt" | "expiresAt">;

function readClaims(payload: JwtPayload, type: string): Claims {
  const vc = payload.vc;
  if (vc === undefined) throw credentialError(R.Malformed, "the payload has no vc claim");
  if (typeof payload.iss !== "string" || !payload.iss.startsWith("did:"))
    throw credentialError(R.Malformed, "iss must be the issuer's DID");
  const vcIssuer = typeof vc.issuer === "object" && vc.issuer !== null ? (vc.issuer as { id?: unknown }).id : vc.issuer;
  if (vcIssuer !== undefined && vcIssuer !== payload.iss)
    throw credentialError(R.IssuerMismatch, `iss ${payload.iss} is not the credential's issuer ${String(vcIssuer)}`);
  if (!stringList(vc["@context"] ?? [], "@context").includes(VC_CONTEXT_V1))
    throw credentialError(R.Malformed, `@context must include ${VC_CONTEXT_V1}`);
  const types = stringList(vc.type ?? [], "type");
  if (!types.includes(VC_BASE_TYPE) || !types.includes(type))
    throw credentialError(R.WrongType, `a ${type} was expected, this is ${types.join(", ") || "untyped"}`);
  const subjectClaim = vc.credentialSubject;
  if (typeof subjectClaim !== "object" || subjectClaim === null || Array.isArray(subjectClaim))
    throw credentialError(R.Malformed, "credentialSubject must be an object");
  const subject = payload.sub ?? (subjectClaim as { id?: unknown }).id;
  if (typeof subject !== "string" || subject.length === 0 || subject.length > 200)
    throw credentialError(R.Malformed, "the credential names no subject (sub)");
  const innerId = (subjectClaim as { id?: unknown }).id;
  if (innerId !== undefined && innerId !== subject)
    throw credentialError(R.Malformed, "sub and credentialSubject.id differ");
  const id = payload.jti ?? vc["id"];
  if (typeof id !== "string" || id.length === 0 || id.length > 200)
    throw credentialError(R.Malformed, "the credential has no id (jti)");
  const exp = numericDate(payload.exp, "exp");
  if (exp === undefined) throw credentialError(R.Malformed, "the credential has no expiry (exp)");
  const start = numericDate(payload.nbf, "nbf") ?? numericDate(payload.iat, "iat") ?? 0;
  return {
    id,
    issuer: payload.iss,
    subject,
    types,
    credentialSubject: { ...(subjectClaim as Record<string, unknown>), id: subject },
    issuedAt: start * 1000,
    expiresAt: exp * 1000,
  };
}

function checkAudience(payload: JwtPayload, options: VerifyVcOptions): string[] {
  const ours =
    options.audience === undefined
      ? []
      : typeof options.audience === "string"
        ? [options.audience]
        : [...options.audience];
  if (payload.aud === undefined) {
    if (options.requireAudience)
      throw credentialError(
        R.AudienceMissing,
        `the token names no audience; this verifier requires one of ${ours.join(", ") || "(none configured)"}`,
      );
    return [];
  }
  const aud = stringList(payload.aud, "aud");
  const matched = aud.filter((a) => ours.includes(a));
  if (matched.length === 0)
    throw credentialError(
      R.WrongAudience,
      `the token is for ${aud.join(", ")}, not for ${ours.join(", ") || "this verifier"}`,
    );
  return matched;
}

function checkTimes(claims: Claims, iat: number | undefined, options: VerifyVcOptions): { now: number; skew: number } {
  const now = options.now ?? Date.now();
  const skew = options.skewMs ?? DEFAULT_VC_SKEW_MS;
  if (claims.expiresAt <= now - skew)
    throw credentialError(R.Expired, `expired at ${new Date(claims.expiresAt).toISOString()}`);
  const notBefore = Math.max(claims.issuedAt, (iat ?? 0) * 1000);
  if (notBefore > now + skew)
    throw credentialError(R.NotYetValid, `not valid before ${new Date(notBefore).toISOString()}`);
  return { now, skew };
}

async function resolveDocument(resolver: Resolvable, did: string): Promise<DIDDocument> {
  let doc: DIDDocument | null | undefined;
  try {
    const result = await resolver.resolve(did);
    doc = result.didDocument;
    if (!doc) throw new Error(result.didResolutionMetadata?.error ?? "no document");
  } catch (err) {
    throw credentialError(R.IssuerUnresolvable, `cannot resolve ${did}: ${(err as Error).message}`, err);
  }
  return doc;
}

function checkKey(doc: DIDDocument, kid: string, signingInput: Uint8Array, signature: Uint8Array): void {
  const vm = findVerificationMethod(doc, kid);
  if (!vm) throw credentialError(R.KidUnknown, `kid ${kid} is not a verification method of ${doc.id}`);
  if (!isAssertionMethod(doc, kid))
    throw credentialError(R.NotAssertionMethod, `${kid} is not among the assertion methods of ${doc.id}`);
  const key = ed25519KeyOf(vm);
  if (!key) throw credentialError(R.KeyUnsupported, `${kid} is a ${vm.type}, not an Ed25519 key`);
  if (!verifySignature(key, signingInput, signature))
    throw credentialError(R.BadSignature, `the signature does not verify with ${kid}`);
}

async function secondOpinion(
  jwt: string,
  resolver: Resolvable,
  audience: string | undefined,
  now: number,
  skew: number,
): Promise<void> {
  const { verifyCredential } = await didJwtVc();
  try {
    await verifyCredential(jwt, resolver, {
      proofPurpose: "assertionMethod",
      skewTime: Math.floor(skew / 1000),
      policies: { now: Math.floor(now / 1000) },
      ...(audience !== undefined ? { audience } : {}),
    });
  } catch (err) {
    throw credentialError(R.LibraryRejected, `did-jwt-vc refused it: ${(err as Error).message}`, err);
  }
}
