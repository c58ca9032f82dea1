/**
 * The `attest` and `revoke` requests: capability credentials presented to the registry, and revocations.
 *
 * attest {credential}: the requester is the credential's subject or its issuer; the credential verifies strictly
 * (EdDSA, kid of the issuer, assertion method, expiry, audience = this registry if it names one, mesh if it names
 * one); its issuer's key was not rotated away (`rotated_key`: the log cannot tell when a rotated key signed, so
 * nothing it signs counts once the rotation is logged); the subject is a member. Then CredentialAttested is appended
 * with the verified claims (and the JWT, so anyone can check it again).
 *
 * revoke {credentialId, reason?, credential?}: only the credential's issuer (or the key its issuer rotated to), or a
 * registry of the mesh (membership credentials are the registry's own; the registry may also withdraw any
 * attestation), may revoke; CredentialRevoked is appended. Anyone else is refused (`not_issuer`). A credential the
 * registry has never seen can be revoked ahead of time by its issuer, who shows it (`credential`, the VC-JWT); it is
 * then refused when presented. Without it the registry cannot tell who issued it (`unknown_credential`).
 */
import { RefusalReason, type AttestResult, type RevokeResult } from "@plexus/anp";
import type { EventData, SignedRequest } from "@plexus/anp/internal";
import {
  credentialRejectionOf,
  verifyCapabilityCredential,
  verifyPlexusCredential,
  type CapabilityClaims,
  type Resolvable,
} from "@plexus/identity";
import { peekJwtPayload } from "@plexus/identity/internal";
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
      return admission.refuse(
        request,
        RefusalReason.CredentialInvalid,
        `presented by ${request.did}, who is neither its subject nor its issuer`,
      );
    }
    const state = this.#o.state();
    const rotation = state.identity.rotations.get(claims.issuer);
    if (rotation) {
      return admission.refuse(
        request,
        RefusalReason.RotatedKey,
        `the issuer's key ${claims.issuer} was rotated away (to ${state.identity.current(claims.issuer)}, log position ${rotation.seq}): nothing it signs counts any more`,
      );
    }
    if (!state.agents.get(claims.subject)?.present)
      return admission.refuse(
        request,
        RefusalReason.NotJoined,
        `the subject ${claims.subject} is not a member of this mesh`,
      );
    if (state.credentials.isRevoked(claims.issuer, claims.id))
      return admission.refuse(
        request,
        RefusalReason.CredentialInvalid,
        `credential ${claims.id} was revoked by its issuer`,
      );
    const { id, issuer, capabilities, issuedAt, expiresAt } = claims;
    const data: EventData["CredentialAttested"] = {
      credential: body["credential"],
      id,
      issuer,
      capabilities,
      issuedAt,
      expiresAt,
    };
    const seq = await admission.append("CredentialAttested", request, nonce, data, claims.subject);
    return { seq, id, issuer, subject: claims.subject, capabilities, issuedAt, expiresAt };
  }

  async revoke(payload: unknown): Promise<RevokeResult> {
    const { admission } = this.#o;
    const { request, nonce } = await admission.check("revoke", payload);
    const { credentialId, reason, credential } = request.body as Record<string, unknown>;
    const extra = Object.keys(request.body as object).filter(
      (k) => k !== "credentialId" && k !== "reason" && k !== "credential",
    );
    if (
      typeof credentialId !== "string" ||
      credentialId.length === 0 ||
      credentialId.length > 200 ||
      (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON)) ||
      (credential !== undefined && typeof credential !== "string") ||
      extra.length > 0
    ) {
      return admission.refuse(
        request,
        RefusalReason.Malformed,
        `a revoke request's body is { credentialId (1-200 characters), reason? (up to ${MAX_REASON}), credential? (the VC-JWT) }`,
      );
    }
    const target = await this.#revocationTarget(request, credentialId, credential as string | undefined);
    const book = this.#o.state().credentials;
    const earlier = book.revocation(target.issuer, credentialId);
    if (earlier) return { seq: earlier.seq, credentialId, issuer: target.issuer, revoked: false };
    const data: EventData["CredentialRevoked"] = {
      credentialId,
      issuer: target.issuer,
      revokedBy: request.did,
      reason: (reason as string | undefined) ?? "",
    };
    const seq = await admission.append("CredentialRevoked", request, nonce, data, target.subject);
    return { seq, credentialId, issuer: target.issuer, revoked: true };
  }

  /** Whose credential the requester may revoke under this id, or the refusal saying why it may not. */
  async #revocationTarget(
    request: SignedRequest,
    credentialId: string,
    jwt: string | undefined,
  ): Promise<{ issuer: string; subject: string }> {
    const { admission } = this.#o;
    const state = this.#o.state();
    // A registry key of the mesh, not one rotated away (a retired key may be a thief's).
    const registry = this.#o.registries.has(request.did) && !state.identity.isRetiredRegistry(request.did);
    // The issuer itself, or the key it rotated to (so a leaked key's credentials can be withdrawn after the rotation).
    const issuedBy = (issuer: string): boolean =>
      issuer === request.did || state.identity.current(issuer) === request.did;
    if (jwt !== undefined) {
      // Shown: revocations are keyed by issuer and id, so whatever others recorded under this id does not matter.
      const shown = await this.#shown(request, jwt);
      if (shown.id !== credentialId)
        return admission.refuse(
          request,
          RefusalReason.Malformed,
          `the credential shown is ${shown.id}, not ${credentialId}`,
        );
      if (!issuedBy(shown.issuer) && !registry)
        return admission.refuse(
          request,
          RefusalReason.NotIssuer,
          `credential ${credentialId} was issued by ${shown.issuer}; ${request.did} may not revoke it`,
        );
      return { issuer: shown.issuer, subject: shown.subject };
    }
    const found = state.credentials.find(credentialId);
    const holders = [
      ...found.attestations.map((a) => ({ issuer: a.issuer, subject: a.subject })),
      ...found.memberships.map((m) => ({ issuer: m.ref.issuer, subject: m.did })),
    ];
    const own = holders.find((h) => issuedBy(h.issuer));
    if (own) return own;
    if (holders.length > 0) {
      if (registry) return holders[0]!;
      return admission.refuse(
        request,
        RefusalReason.NotIssuer,
        `only the issuer of ${credentialId} (${holders[0]!.issuer}) or the registry may revoke it; ${request.did} is neither`,
      );
    }
    return admission.refuse(
      request,
      RefusalReason.UnknownCredential,
      `this registry has not seen credential ${credentialId}, so it cannot tell who issued it: to revoke it before it is presented, its issuer hands the credential itself (plexus credential revoke --as ISSUER FILE)`,
    );
  }

  /**
   * A credential shown to revoke it ahead of time: it only has to prove who issued it, so it is checked as of its own
   * start (a credential not valid yet, or expired, can still be revoked) and whatever its audience names.
   */
  async #shown(request: SignedRequest, jwt: string): Promise<{ id: string; issuer: string; subject: string }> {
    const { resolver, registries } = this.#o;
    try {
      const payload = peekJwtPayload(jwt);
      const aud = payload.aud;
      const audience = typeof aud === "string" || Array.isArray(aud) ? (aud as string[]) : undefined;
      const start = [payload.nbf, payload.iat].find(
        (t): t is number => typeof t === "number" && Number.isSafeInteger(t),
      );
      const now = start !== undefined ? start * 1000 : undefined;
      const v = await verifyPlexusCredential(jwt, {
        registries,
        ...(resolver ? { resolver } : {}),
        ...(audience ? { audience } : {}),
        ...(now !== undefined ? { now } : {}),
      });
      return { id: v.claims.id, issuer: v.issuer, subject: v.claims.subject };
    } catch (err) {
      if (credentialRejectionOf(err) === undefined) throw err;
      return this.#o.admission.refuse(request, RefusalReason.CredentialInvalid, (err as Error).message);
    }
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
