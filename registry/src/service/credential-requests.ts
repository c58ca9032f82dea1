/**
 * The `attest` and `revoke` requests: capability credentials presented to the registry, and revocations.
 *
 * attest {credential}: the requester is the credential's subject or its issuer; the credential verifies strictly
 * (EdDSA, kid of the issuer, assertion method, expiry, audience = this registry if it names one, mesh if it names
 * one); the subject is a member. Then CredentialAttested is appended with the verified claims (and the JWT, so
 * anyone can check it again). revoke {credentialId, reason?}: only the credential's issuer, or a registry of the
 * mesh (membership credentials are the registry's own; the registry may also withdraw any attestation), may
 * revoke; CredentialRevoked is appended. A credential the registry has never seen can be revoked by its would-be
 * issuer ahead of time: it is then refused when presented.
 */
import { RefusalReason, type AttestResult, type EventData, type RevokeResult, type SignedRequest } from "@plexus/anp";
import { credentialRejectionOf, verifyCapabilityCredential, type CapabilityClaims, type Resolvable } from "@plexus/identity";
import type { RegistryState } from "../projection/index.js";
import type { Admission } from "./admission.js";

export interface CredentialRequestsOptions {
  admission: Admission;
  state: () => RegistryState;
  mesh: string;
  /** Registry DIDs that may revoke any credential: this node's own and those it trusts. */
  registries: ReadonlySet<string>;
  /** What a credential that names an audience must name: this registry's DID(s). */
  audience: readonly string[];
  /** DID resolver for issuers (default did:key). */
  resolver?: Resolvable;
}

const MAX_REASON = 500;

export class CredentialRequests {
  readonly #o: CredentialRequestsOptions;

  constructor(options: CredentialRequestsOptions) {
    this.#o = options;
  }

  async attest(payload: unknown): Promise<AttestResult> {
    const { admission } = this.#o;
    const { request, nonce } = await admission.check("attest", payload);
    const body = request.body as Record<string, unknown>;
    if (typeof body["credential"] !== "string" || Object.keys(body).length !== 1) {
      return admission.refuse(request, RefusalReason.Malformed, "an attest request's body is { credential: VC-JWT }");
    }
    const claims = await this.#verify(request, body["credential"]);
    if (request.did !== claims.subject && request.did !== claims.issuer) {
      return admission.refuse(request, RefusalReason.CredentialInvalid, `presented by ${request.did}, who is neither its subject nor its issuer`);
    }
    const state = this.#o.state();
    if (!state.agents.get(claims.subject)?.present) return admission.refuse(request, RefusalReason.NotJoined, `the subject ${claims.subject} is not a member of this mesh`);
    if (state.credentials.isRevoked(claims.issuer, claims.id)) return admission.refuse(request, RefusalReason.CredentialInvalid, `credential ${claims.id} was revoked by its issuer`);
    const { id, issuer, capabilities, issuedAt, expiresAt } = claims;
    const data: EventData["CredentialAttested"] = { credential: body["credential"], id, issuer, capabilities, issuedAt, expiresAt };
    const seq = await admission.append("CredentialAttested", request, nonce, data, claims.subject);
    return { seq, id, issuer, subject: claims.subject, capabilities, issuedAt, expiresAt };
  }

  async revoke(payload: unknown): Promise<RevokeResult> {
    const { admission, registries } = this.#o;
    const { request, nonce } = await admission.check("revoke", payload);
    const { credentialId, reason } = request.body as Record<string, unknown>;
    const extra = Object.keys(request.body as object).filter((k) => k !== "credentialId" && k !== "reason");
    if (typeof credentialId !== "string" || credentialId.length === 0 || credentialId.length > 200 || (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON)) || extra.length > 0) {
      return admission.refuse(request, RefusalReason.Malformed, `a revoke request's body is { credentialId (1-200 characters), reason? (up to ${MAX_REASON}) }`);
    }
    const book = this.#o.state().credentials;
    const found = book.find(credentialId);
    const holders = [...found.attestations.map((a) => ({ issuer: a.issuer, subject: a.subject })), ...found.memberships.map((m) => ({ issuer: m.ref.issuer, subject: m.did }))];
    const own = holders.find((h) => h.issuer === request.did);
    const target = own ?? (registries.has(request.did) ? holders[0] : undefined) ?? (holders.length === 0 ? { issuer: request.did, subject: request.did } : undefined);
    if (!target) return admission.refuse(request, RefusalReason.NotIssuer, `only the issuer of ${credentialId} (${holders[0]?.issuer}) or the registry may revoke it`);
    const earlier = book.revocation(target.issuer, credentialId);
    if (earlier) return { seq: earlier.seq, credentialId, issuer: target.issuer, revoked: false };
    const data: EventData["CredentialRevoked"] = { credentialId, issuer: target.issuer, revokedBy: request.did, reason: (reason as string | undefined) ?? "" };
    const seq = await admission.append("CredentialRevoked", request, nonce, data, target.subject);
    return { seq, credentialId, issuer: target.issuer, revoked: true };
  }

  /** Strict verification; a refusal names the credential's own rejection reason in its detail. */
  async #verify(request: SignedRequest, jwt: string): Promise<CapabilityClaims> {
    const { mesh, audience, resolver } = this.#o;
    try {
      return await verifyCapabilityCredential(jwt, { mesh, audience, ...(resolver ? { resolver } : {}) });
    } catch (err) {
      const reason = credentialRejectionOf(err);
      if (reason === undefined) throw err;
      // The message reads "credential refused (<CredentialRejection>): …", so the detail names the stable reason.
      return this.#o.admission.refuse(request, RefusalReason.CredentialInvalid, (err as Error).message);
    }
  }
}
