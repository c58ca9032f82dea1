import { RefusalReason } from "@plexus/anp";
import { rotationProblem, type RequestBodies, type Rotation, type SignedRequest } from "@plexus/anp/internal";
import { isDid } from "@plexus/identity";
import { MAX_KEY_ROTATIONS, type RegistryState } from "../projection/index.js";
import type { Admission } from "./admission.js";

export interface IdentityRequestsOptions {
  admission: Admission;
  state: () => RegistryState;
  /** DIDs allowed to suspend and resume agents: the registry's own key and those configured (--operator). */
  operators: ReadonlySet<string>;
  /** Called once an agent is suspended or resumed in the log (cuts or restores its NATS user). */
  onSuspended?: (did: string) => Promise<void>;
  onResumed?: (did: string) => Promise<void>;
  /** Called once a key is rotated away (cuts the old key's NATS user: only the new key may act). */
  onRotated?: (from: string) => Promise<void>;
  onError?: (err: unknown) => void;
}

export interface SuspensionResult {
  agent: string;
  suspended: boolean;
  seq: number;
}

export interface RotationResult {
  from: string;
  to: string;
  seq: number;
  /** With `compromised`: how many credentials the old key issued were revoked with the rotation. */
  revoked?: number;
}

const MAX_REASON = 500;
/** How long after answering a rotation the old key's NATS user is revoked (the answer goes out first). */
export const ROTATION_CUTOFF_DELAY_MS = 250;

/**
 * The operator kill switch (suspend, resume) and agent key rotation. Each is a signed request that becomes a
 * registry event naming who asked, so the log says who cut whom off and which key succeeded which.
 */
export class IdentityRequests {
  readonly #o: IdentityRequestsOptions;

  constructor(options: IdentityRequestsOptions) {
    this.#o = options;
  }

  async suspend(payload: unknown): Promise<SuspensionResult> {
    const { admission } = this.#o;
    const { request, nonce } = await admission.check("suspend", payload);
    const { agent, reason } = await this.#target(request, request.body as RequestBodies["suspend"]);
    const already = this.#o.state().identity.suspended.get(agent);
    if (already) {
      // Nothing new for the log; the NATS revocation is pushed again (idempotent), should it have been lost.
      await this.#o.onSuspended?.(agent);
      return { agent, suspended: true, seq: already.seq };
    }
    const seq = await admission.append("AgentSuspended", request, nonce, { by: request.did, reason, request }, agent);
    await this.#o.onSuspended?.(agent);
    return { agent, suspended: true, seq };
  }

  async resume(payload: unknown): Promise<SuspensionResult> {
    const { admission } = this.#o;
    const { request, nonce } = await admission.check("resume", payload);
    const { agent, reason } = await this.#target(request, request.body as RequestBodies["resume"]);
    if (!this.#o.state().identity.suspended.has(agent))
      return admission.refuse(request, RefusalReason.Malformed, `${agent} is not suspended`);
    const seq = await admission.append("AgentResumed", request, nonce, { by: request.did, reason, request }, agent);
    await this.#o.onResumed?.(agent);
    return { agent, suspended: false, seq };
  }

  async rotate(payload: unknown): Promise<RotationResult> {
    const { admission } = this.#o;
    const { request, nonce } = await admission.check("rotate", payload);
    const body = request.body as Rotation;
    const state = this.#o.state();
    if (!state.agents.has(request.did))
      return admission.refuse(request, RefusalReason.NotJoined, "only an agent this mesh knows can rotate its key");
    if (typeof body.newDid !== "string" || typeof body.newPublicKey !== "string" || typeof body.proof !== "string") {
      return admission.refuse(
        request,
        RefusalReason.RotationInvalid,
        "the body needs newDid, newPublicKey and proof (strings)",
      );
    }
    const problem = rotationProblem(request.did, body, request.challenge);
    if (problem !== undefined) return admission.refuse(request, RefusalReason.RotationInvalid, problem);
    if (
      state.agents.has(body.newDid) ||
      state.identity.rotatedTo.has(body.newDid) ||
      state.ledger.idOf(body.newDid) !== undefined
    ) {
      return admission.refuse(
        request,
        RefusalReason.RotationInvalid,
        "the new key is already known to this mesh; rotate to a fresh key",
      );
    }
    if (state.identity.lineage(request.did).length > MAX_KEY_ROTATIONS) {
      return admission.refuse(
        request,
        RefusalReason.RotationInvalid,
        `this identity rotated its key ${MAX_KEY_ROTATIONS} times already, the most one may; join as a new agent`,
      );
    }
    const revoked = body.compromised === true ? state.credentials.unrevokedIssuedBy(request.did).length : undefined;
    const seq = await admission.append("KeyRotated", request, nonce, {
      to: body.newDid,
      request: request as SignedRequest<Rotation>,
    });
    // The old key's NATS user is cut off once this answer is on its way: the request may have come over that very
    // connection. (A node that stops in between repairs it at its next start: NatsUsers.reconcile.)
    const cut = this.#o.onRotated;
    if (cut)
      setTimeout(
        () => void cut(request.did).catch((err: unknown) => this.#o.onError?.(err)),
        ROTATION_CUTOFF_DELAY_MS,
      ).unref();
    return { from: request.did, to: body.newDid, seq, ...(revoked !== undefined ? { revoked } : {}) };
  }

  async #target(
    request: SignedRequest,
    body: { agent?: unknown; reason?: unknown },
  ): Promise<{ agent: string; reason: string }> {
    const { admission } = this.#o;
    if (!this.#o.operators.has(request.did))
      return admission.refuse(request, RefusalReason.NotOperator, `${request.did} is not an operator of this registry`);
    if (!isDid(body.agent))
      return admission.refuse(request, RefusalReason.Malformed, "the body needs agent (a did:key)");
    if (body.reason !== undefined && (typeof body.reason !== "string" || body.reason.length > MAX_REASON)) {
      return admission.refuse(
        request,
        RefusalReason.Malformed,
        `reason must be a string of at most ${MAX_REASON} characters`,
      );
    }
    // Any key may be cut off, joined or not: in operator mode a key that never joined can still get a NATS user.
    return { agent: this.#o.state().identity.current(body.agent), reason: (body.reason as string | undefined) ?? "" };
  }
}
