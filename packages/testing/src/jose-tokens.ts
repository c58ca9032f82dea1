/**
 * VC-JWTs built with an independent JOSE library (panva/jose), never with Plexus's own signing code, so the tests of
 * the strict verifier do not check Plexus against itself. Only the did:key is derived with Plexus's didFromPublicKey.
 *
 * `hostileTokens` gives the variants an attacker would try, each with the refusal reason the verifier must give.
 * Two kinds of header jose refuses to produce (a `crit` that is not a non-empty array of strings) are signed with
 * WebCrypto directly (`rawSign`), still with the key jose generated.
 */
import { randomUUID } from "node:crypto";
import {
  base64url,
  CompactSign,
  exportJWK,
  FlattenedSign,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
} from "jose";
import { didFromPublicKey } from "@plexus/identity";

const VC_CONTEXT = "https://www.w3.org/2018/credentials/v1";
export const JOSE_MEMBERSHIP_TYPE = "PlexusMembershipCredential";
export const JOSE_CAPABILITY_TYPE = "PlexusCapabilityCredential";

export interface JoseKey {
  did: string;
  /** The did:key verification method (`did#fragment`), the `kid` a token signed by this key names. */
  kid: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  privateKey: CryptoKey;
}

/** A fresh Ed25519 key from jose; its did:key is derived from the raw public key. */
export async function joseKey(): Promise<JoseKey> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(publicKey);
  const raw = base64url.decode(jwk.x as string);
  const did = didFromPublicKey(raw);
  return { did, kid: `${did}#${did.slice("did:key:".length)}`, publicKey: raw, privateKey };
}

/** The 32-byte Ed25519 seed of a jose key (JWK `d`), to store it where a Plexus command can use it (KeyStore.add). */
export async function joseSeed(key: JoseKey): Promise<Uint8Array> {
  return base64url.decode((await exportJWK(key.privateKey)).d as string);
}

export interface VcPayloadOptions {
  issuer: string;
  subject: string;
  type: typeof JOSE_MEMBERSHIP_TYPE | typeof JOSE_CAPABILITY_TYPE;
  /** credentialSubject besides `id` (membership: {mesh, name}; capability: {capabilities, mesh?}). */
  claims: Record<string, unknown>;
  id?: string;
  /** Seconds since 1970; default now - 10 s. */
  nbf?: number;
  /** Seconds since 1970; default now + 1 h. */
  exp?: number;
  aud?: string | string[];
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A W3C VC-JWT payload as Plexus issues them (iss, sub, jti, nbf, exp, vc). */
export function vcPayload(o: VcPayloadOptions): Record<string, unknown> {
  return {
    iss: o.issuer,
    sub: o.subject,
    jti: o.id ?? `urn:uuid:${randomUUID()}`,
    nbf: o.nbf ?? nowSeconds() - 10,
    exp: o.exp ?? nowSeconds() + 3600,
    ...(o.aud !== undefined ? { aud: o.aud } : {}),
    vc: { "@context": [VC_CONTEXT], type: ["VerifiableCredential", o.type], credentialSubject: o.claims },
  };
}

/** Signs `payload` with jose (EdDSA, kid of `key` unless the header says otherwise). */
export async function joseSign(
  key: JoseKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const protectedHeader = { alg: "EdDSA", typ: "JWT", kid: key.kid, ...header };
  const crit = Array.isArray(header["crit"]) ? (header["crit"] as string[]) : [];
  // jose itself refuses to sign a crit naming an extension the caller does not say it understands.
  const recognized = Object.fromEntries(crit.map((name) => [name, true]));
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(key.privateKey, { crit: recognized });
}

/** Signs any header (even one jose would refuse to produce) with the jose-generated key through WebCrypto. */
export async function rawSign(
  key: JoseKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const signature = new Uint8Array(
    await globalThis.crypto.subtle.sign("Ed25519", key.privateKey, new TextEncoder().encode(input)),
  );
  return `${input}.${base64url.encode(signature)}`;
}

/** A membership credential signed by `issuer` (with jose), for `subject` in `mesh`. */
export function joseMembership(
  issuer: JoseKey,
  subject: string,
  mesh: string,
  extra: Partial<VcPayloadOptions> = {},
): Promise<string> {
  return joseSign(
    issuer,
    vcPayload({
      issuer: issuer.did,
      subject,
      type: JOSE_MEMBERSHIP_TYPE,
      claims: { mesh, name: "jose-built" },
      ...extra,
    }),
  );
}

/** A capability credential signed by `issuer` (with jose). */
export function joseCapability(
  issuer: JoseKey,
  subject: string,
  capabilities: string[],
  extra: Partial<VcPayloadOptions> & { mesh?: string } = {},
): Promise<string> {
  const { mesh, ...rest } = extra;
  return joseSign(
    issuer,
    vcPayload({
      issuer: issuer.did,
      subject,
      type: JOSE_CAPABILITY_TYPE,
      claims: { capabilities, ...(mesh !== undefined ? { mesh } : {}) },
      ...rest,
    }),
  );
}

export interface HostileToken {
  name: string;
  jwt: string;
  /** The CredentialRejection the strict verifier must give. */
  reason: string;
}

/** Flips the lowest bit of one byte: of the signature, or of the payload inside the credential id (the JSON stays valid). */
function flipBit(jwt: string, segment: 1 | 2): string {
  const parts = jwt.split(".");
  const bytes = base64url.decode(parts[segment] as string);
  const at = segment === 2 ? 7 : Buffer.from(bytes).indexOf("urn:uuid:") + 12;
  bytes[at] = (bytes[at] as number) ^ 0x01;
  parts[segment] = base64url.encode(bytes);
  return parts.join(".");
}

function swapPayload(jwt: string, payload: Record<string, unknown>): string {
  const [h, , s] = jwt.split(".");
  return `${h}.${base64url.encode(JSON.stringify(payload))}.${s}`;
}

/**
 * Tokens that must all be refused, each a variant of one valid credential `base` (signed by `issuer`) described by
 * `payload`. `other` is an unrelated key (an attacker's). The verifier is expected to be asked without an audience
 * (so `wrong_aud` names one that is not the verifier's).
 */
export async function hostileTokens(
  issuer: JoseKey,
  other: JoseKey,
  payload: Record<string, unknown>,
): Promise<HostileToken[]> {
  const base = await joseSign(issuer, payload);
  const now = nowSeconds();
  const es256 = await generateKeyPair("ES256");
  const signedBy = (
    key: JoseKey | CryptoKey,
    alg: string,
    header: Record<string, unknown>,
    p: Record<string, unknown> = payload,
  ) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(p)))
      .setProtectedHeader({ alg, typ: "JWT", ...header } as { alg: string })
      .sign("privateKey" in key ? key.privateKey : key);
  const { kid: _kid, ...noKid } = { alg: "EdDSA", typ: "JWT", kid: issuer.kid };
  return [
    { name: "alg none (unsecured JWT)", jwt: new UnsecuredJWT(payload).encode(), reason: "alg_not_allowed" },
    {
      name: "alg none with the issuer's kid",
      jwt: `${base64url.encode(JSON.stringify({ alg: "none", kid: issuer.kid }))}.${base.split(".")[1]}.`,
      reason: "alg_not_allowed",
    },
    {
      name: "HS256 keyed with the issuer's public key",
      jwt: await new SignJWT(payload).setProtectedHeader({ alg: "HS256", kid: issuer.kid }).sign(issuer.publicKey),
      reason: "alg_not_allowed",
    },
    {
      name: "ES256 (another algorithm)",
      jwt: await signedBy(es256.privateKey, "ES256", { kid: issuer.kid }),
      reason: "alg_not_allowed",
    },
    {
      name: "no kid",
      jwt: await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(noKid)
        .sign(issuer.privateKey),
      reason: "kid_missing",
    },
    {
      name: "foreign kid (the attacker's key, signed by it)",
      jwt: await joseSign(other, payload),
      reason: "kid_not_issuer",
    },
    {
      name: "kid naming a fragment the issuer does not have",
      jwt: await joseSign(issuer, payload, { kid: `${issuer.did}#not-a-key` }),
      reason: "kid_unknown",
    },
    {
      name: "changed iss (re-signed by the issuer)",
      jwt: await joseSign(issuer, { ...payload, iss: other.did }),
      reason: "kid_not_issuer",
    },
    {
      name: "iss differs from vc.issuer",
      jwt: await joseSign(issuer, { ...payload, vc: { ...(payload["vc"] as object), issuer: other.did } }),
      reason: "issuer_mismatch",
    },
    {
      name: "changed iss on a signed token",
      jwt: swapPayload(base, { ...payload, iss: other.did }),
      reason: "kid_not_issuer",
    },
    {
      name: "expired",
      jwt: await joseSign(issuer, { ...payload, nbf: now - 7200, exp: now - 3600 }),
      reason: "expired",
    },
    {
      name: "not yet valid (nbf in an hour)",
      jwt: await joseSign(issuer, { ...payload, nbf: now + 3600, exp: now + 7200 }),
      reason: "not_yet_valid",
    },
    {
      name: "issued in the future (iat in an hour)",
      jwt: await joseSign(issuer, { ...payload, iat: now + 3600 }),
      reason: "not_yet_valid",
    },
    { name: "wrong aud", jwt: await joseSign(issuer, { ...payload, aud: other.did }), reason: "wrong_audience" },
    { name: "flipped signature bit", jwt: flipBit(base, 2), reason: "bad_signature" },
    { name: "flipped payload bit", jwt: flipBit(base, 1), reason: "bad_signature" },
    {
      name: "changed payload (a later expiry)",
      jwt: swapPayload(base, { ...payload, exp: now + 365 * 86400 }),
      reason: "bad_signature",
    },
    {
      name: "another key claiming the issuer (issuer's kid, attacker's signature)",
      jwt: await signedBy(other, "EdDSA", { kid: issuer.kid }),
      reason: "bad_signature",
    },
    {
      name: "signature of another token",
      jwt: `${base.split(".").slice(0, 2).join(".")}.${(await joseSign(issuer, { ...payload, jti: `urn:uuid:${randomUUID()}` })).split(".")[2]}`,
      reason: "bad_signature",
    },
    ...(await critTokens(issuer, payload)),
  ];
}

/** Otherwise valid tokens whose header has a `crit` (RFC 7515 §4.1.11): all refused with crit_unsupported. */
export async function critTokens(issuer: JoseKey, payload: Record<string, unknown>): Promise<HostileToken[]> {
  const header = { alg: "EdDSA", typ: "JWT", kid: issuer.kid };
  const ext = "http://example.com/unknown-extension";
  return [
    {
      name: "crit naming an unknown extension (jose)",
      jwt: await joseSign(issuer, payload, { crit: [ext], [ext]: true }),
      reason: "crit_unsupported",
    },
    { name: "crit b64 false (RFC 7797, jose)", jwt: await joseB64False(issuer, payload), reason: "crit_unsupported" },
    {
      name: "crit naming a registered claim (exp)",
      jwt: await rawSign(issuer, { ...header, crit: ["exp"], exp: 1 }, payload),
      reason: "crit_unsupported",
    },
    {
      name: "crit empty array",
      jwt: await rawSign(issuer, { ...header, crit: [] }, payload),
      reason: "crit_unsupported",
    },
    {
      name: "crit not an array",
      jwt: await rawSign(issuer, { ...header, crit: ext }, payload),
      reason: "crit_unsupported",
    },
    { name: "crit null", jwt: await rawSign(issuer, { ...header, crit: null }, payload), reason: "crit_unsupported" },
  ];
}

/** RFC 7797: crit ["b64"], b64 false, the payload signed as is (not base64url); jose signs it when told b64 is understood. */
async function joseB64False(issuer: JoseKey, payload: Record<string, unknown>): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const jws = await new FlattenedSign(bytes)
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: issuer.kid, b64: false, crit: ["b64"] })
    .sign(issuer.privateKey);
  // Compact form with the payload base64url-encoded in its place, as a verifier that ignores crit would read it.
  return `${jws.protected as string}.${base64url.encode(bytes)}.${jws.signature}`;
}
