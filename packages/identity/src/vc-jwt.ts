/** Strict decoding of a compact JWS (header.payload.signature) holding a W3C VC (the `vc` claim of a VC-JWT). */
import { parseJson } from "@plexus/core";
import { CredentialRejection, credentialError } from "./vc-errors.js";

/** Longest VC-JWT accepted (a capability credential with a few dozen capabilities is about 1 kB). */
export const MAX_VC_JWT_LENGTH = 16_384;

export interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
  typ?: unknown;
  [k: string]: unknown;
}

export interface VcClaim {
  "@context"?: unknown;
  type?: unknown;
  issuer?: unknown;
  credentialSubject?: unknown;
  [k: string]: unknown;
}

export interface JwtPayload {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  jti?: unknown;
  nbf?: unknown;
  iat?: unknown;
  exp?: unknown;
  vc?: VcClaim;
  [k: string]: unknown;
}

export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
  /** The ASCII bytes the signature covers: `header.payload` as they appear in the token. */
  signingInput: Uint8Array;
  signature: Uint8Array;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

function malformed(message: string): never {
  throw credentialError(CredentialRejection.Malformed, message);
}

function jsonObject(segment: string, what: string): Record<string, unknown> {
  // Credentials come from anyone (rating evidence, attestations): read under the mesh's JSON limits.
  const read = parseJson(Buffer.from(segment, "base64url"));
  if (!read.ok) malformed(`the ${what} is not base64url JSON (${read.reason}: ${read.detail})`);
  const value = read.value;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    malformed(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Splits and parses a compact JWS; refuses (malformed) anything that is not exactly three base64url segments of JSON objects. */
export function decodeJwt(jwt: unknown): DecodedJwt {
  if (typeof jwt !== "string") malformed("a VC-JWT must be a string");
  const token = jwt.trim();
  if (token.length > MAX_VC_JWT_LENGTH) malformed(`the token is longer than ${MAX_VC_JWT_LENGTH} characters`);
  const parts = token.split(".");
  if (parts.length !== 3) malformed(`a compact JWS has 3 segments, this has ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) malformed("a segment is not base64url");
  const header = jsonObject(h, "header") as JwtHeader;
  const payload = jsonObject(p, "payload") as JwtPayload;
  if (payload.vc !== undefined && (typeof payload.vc !== "object" || payload.vc === null || Array.isArray(payload.vc)))
    malformed("the vc claim is not an object");
  return {
    header,
    payload,
    signingInput: new TextEncoder().encode(`${h}.${p}`),
    signature: Buffer.from(s, "base64url"),
  };
}

/** Reads the payload of a VC-JWT without verifying anything (for display: never trust what this returns). */
export function peekJwtPayload(jwt: string): JwtPayload {
  return decodeJwt(jwt).payload;
}

/** A JWT NumericDate: whole seconds (did-jwt-vc refuses milliseconds too). */
export function numericDate(value: unknown, claim: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= 1e11) {
    malformed(`${claim} must be a NumericDate (whole seconds since 1970)`);
  }
  return value;
}

/** A string or an array of strings, as an array (`aud`, `type`, `@context`). */
export function stringList(value: unknown, claim: string): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return malformed(`${claim} must be a string or an array of strings`);
}
