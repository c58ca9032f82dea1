/**
 * Capability credentials: any issuer DID attests that a subject DID has one or more capabilities
 * (type PlexusCapabilityCredential, credentialSubject {id, capabilities: [names], mesh?}). VC-JWTs with jti, nbf,
 * exp and a kid header, verified by the same strict verifier as membership credentials.
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import { isDid } from "./did-key.js";
import type { KeyPair } from "./keypair.js";
import { CredentialRejection, credentialError } from "./vc-errors.js";
import { signVcJwt } from "./vc-issue.js";
import { verifyVcJwt, type VerifyVcOptions } from "./vc-verify.js";

export const CAPABILITY_CREDENTIAL_TYPE = "PlexusCapabilityCredential";
/** The agent card's capability name pattern (schemas/agent-card.json). */
export const CAPABILITY_NAME_PATTERN = /^[a-z0-9][a-z0-9._/-]{0,63}$/;
export const MAX_CREDENTIAL_CAPABILITIES = 64;

export interface CapabilityClaims {
  id: string;
  issuer: string;
  subject: string;
  capabilities: string[];
  /** The mesh the attestation is limited to, if any. */
  mesh?: string;
  issuedAt: number;
  expiresAt: number;
}

export interface IssueCapabilityOptions {
  subject: string;
  capabilities: readonly string[];
  /** Lifetime in ms from `issuedAt`. */
  ttlMs: number;
  mesh?: string;
  /** ms; default now. */
  issuedAt?: number;
  /** Credential id; default a fresh urn:uuid. */
  id?: string;
  audience?: string | string[];
}

function checkCapabilities(capabilities: unknown, fail: (message: string) => never): string[] {
  if (!Array.isArray(capabilities) || capabilities.length === 0 || capabilities.length > MAX_CREDENTIAL_CAPABILITIES) {
    fail(`capabilities must be a list of 1 to ${MAX_CREDENTIAL_CAPABILITIES} names`);
  }
  for (const c of capabilities)
    if (typeof c !== "string" || !CAPABILITY_NAME_PATTERN.test(c))
      fail(`capability ${JSON.stringify(c)} is not a capability name (${CAPABILITY_NAME_PATTERN.source})`);
  if (new Set(capabilities).size !== capabilities.length) fail("a capability is named twice");
  return [...(capabilities as string[])];
}

/** Issues a capability credential signed by `issuer`; returns the VC-JWT and its claims. */
export async function issueCapabilityCredential(
  issuer: KeyPair,
  options: IssueCapabilityOptions,
): Promise<{ jwt: string; claims: CapabilityClaims }> {
  const invalid = (message: string): never => {
    throw new PlexusError(ErrorCode.InvalidArgument, message);
  };
  if (!isDid(options.subject)) invalid(`subject must be a did:key, got ${JSON.stringify(options.subject)}`);
  if (!(Number.isFinite(options.ttlMs) && options.ttlMs >= 1_000)) invalid("ttlMs must be at least 1000");
  const capabilities = checkCapabilities(options.capabilities, invalid);
  const issuedAt = options.issuedAt ?? Date.now();
  const expiresAt = issuedAt + options.ttlMs;
  const { jwt, id } = await signVcJwt(issuer, {
    type: CAPABILITY_CREDENTIAL_TYPE,
    subject: options.subject,
    credentialSubject: { capabilities, ...(options.mesh !== undefined ? { mesh: options.mesh } : {}) },
    issuedAt,
    expiresAt,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  });
  const claims: CapabilityClaims = {
    id,
    issuer: issuer.did,
    subject: options.subject,
    capabilities,
    issuedAt: Math.floor(issuedAt / 1000) * 1000,
    expiresAt: Math.floor(expiresAt / 1000) * 1000,
  };
  if (options.mesh !== undefined) claims.mesh = options.mesh;
  return { jwt, claims };
}

export type CapabilityVerifyOptions = Omit<VerifyVcOptions, "type" | "checkSubject"> & { mesh?: string };

/**
 * Verifies a capability credential strictly (see verifyVcJwt) and, when `options.mesh` is given, that it is not bound
 * to another mesh. Throws PlexusError CREDENTIAL_INVALID with `details.reason`.
 */
export async function verifyCapabilityCredential(
  jwt: string,
  options: CapabilityVerifyOptions = {},
): Promise<CapabilityClaims> {
  const { mesh: expectedMesh, ...rest } = options;
  const malformed = (message: string): never => {
    throw credentialError(CredentialRejection.Malformed, message);
  };
  const checkSubject = (subject: Record<string, unknown>): void => {
    checkCapabilities(subject["capabilities"], malformed);
    const mesh = subject["mesh"];
    if (mesh !== undefined && typeof mesh !== "string") malformed("mesh must be a string");
    if (expectedMesh !== undefined && mesh !== undefined && mesh !== expectedMesh) {
      throw credentialError(
        CredentialRejection.WrongMesh,
        `the credential is for mesh "${String(mesh)}", not "${expectedMesh}"`,
      );
    }
  };
  const v = await verifyVcJwt(jwt, { ...rest, type: CAPABILITY_CREDENTIAL_TYPE, checkSubject });
  const capabilities = checkCapabilities(v.credentialSubject["capabilities"], malformed);
  const mesh = v.credentialSubject["mesh"];
  return {
    id: v.id,
    issuer: v.issuer,
    subject: v.subject,
    capabilities,
    ...(mesh !== undefined ? { mesh: mesh as string } : {}),
    issuedAt: v.issuedAt,
    expiresAt: v.expiresAt,
  };
}
