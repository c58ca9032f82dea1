/**
 * Trust anchors as log events: the `trust` request (operators add or remove an anchor) and the anchors a node is
 * configured with (`trustAnchors`, --trust-anchor), appended once the node has caught up with the log. Before, each
 * node took its anchors from its own flags, so two nodes given different flags scored the mesh differently; in the
 * log, every node at the same position holds the same anchors.
 */
import { RefusalReason, TRUST_ANCHOR_ROLES, type TrustAnchorRole, type TrustResult } from "@plexus/anp";
import type { SignedRequest } from "@plexus/anp/internal";
import { isDid } from "@plexus/identity";
import type { RegistryState } from "../projection/index.js";
import type { Admission } from "./admission.js";

export interface TrustRequestsOptions {
  admission: Admission;
  state: () => RegistryState;
  /** DIDs allowed to change the anchors: the registry's own key and those configured (--operator), as for suspend. */
  operators: ReadonlySet<string>;
  /** This node's registry DID: `by` of the anchors it is configured with. */
  registry: string;
}

/** The reason recorded for an anchor a node was configured with. */
export const CONFIGURED_ANCHOR_REASON = "configured at start (--trust-anchor)";
const MAX_REASON = 500;
const BODY_FIELDS = new Set(["action", "did", "role", "reason"]);

interface TrustChange {
  action: "add" | "remove";
  did: string;
  role: TrustAnchorRole;
  reason: string | undefined;
}

export class TrustRequests {
  readonly #o: TrustRequestsOptions;

  constructor(options: TrustRequestsOptions) {
    this.#o = options;
  }

  async trust(payload: unknown): Promise<TrustResult> {
    const { admission } = this.#o;
    const { request, nonce } = await admission.check("trust", payload);
    const { action, did, role, reason } = await this.#change(request);
    const book = this.#o.state().trust;
    const data = { role, by: request.did, ...(reason ? { reason } : {}), request };
    if (action === "add") {
      const existing = book.get(did, role);
      if (existing) return { did, role, anchored: true, seq: existing.seq };
      const seq = await admission.append("TrustAnchorAdded", request, nonce, data, did);
      // Two operators adding the same anchor at once on two nodes: the first in the log counts, and both say so.
      return { did, role, anchored: true, seq: this.#o.state().trust.get(did, role)?.seq ?? seq };
    }
    if (!book.has(did, role))
      return admission.refuse(request, RefusalReason.Malformed, `${did} is not a trust anchor (role ${role})`);
    return { did, role, anchored: false, seq: await admission.append("TrustAnchorRemoved", request, nonce, data, did) };
  }

  /**
   * Appends TrustAnchorAdded (role agent, by this registry) for each DID that is not an agent anchor yet; call it once
   * the node has caught up with the log. Nodes started at once with the same flag append under the same message id, so
   * JetStream keeps one (within its 2-minute window); the projection ignores an anchor added again anyway. Returns how many this call added.
   */
  async configure(dids: Iterable<string>): Promise<number> {
    const { admission, registry } = this.#o;
    let added = 0;
    for (const configured of new Set(dids)) {
      const did = this.#o.state().identity.current(configured);
      if (this.#o.state().trust.has(did, "agent")) continue;
      const data = { role: "agent" as const, by: registry, reason: CONFIGURED_ANCHOR_REASON };
      // Named by what the nodes agree on: the anchor, this registry, and the anchor's last removal (a re-add after a
      // `trust remove` is a new message, not a duplicate within JetStream's window).
      const msgID = `anchor-${did}-agent-${registry}-${this.#o.state().trust.lastRemoval(did, "agent")}`;
      const { duplicate } = await admission.record("TrustAnchorAdded", did, data, msgID);
      if (!duplicate) added += 1;
    }
    return added;
  }

  /** The body of a trust request, checked; refused (and recorded) otherwise. Operators first, as suspend does. */
  async #change(request: SignedRequest): Promise<TrustChange> {
    const refuse = (detail: string) => this.#o.admission.refuse(request, RefusalReason.Malformed, detail);
    if (!this.#o.operators.has(request.did))
      return this.#o.admission.refuse(
        request,
        RefusalReason.NotOperator,
        `${request.did} is not an operator of this registry`,
      );
    const body = request.body as Record<string, unknown>;
    const extra = Object.keys(body).filter((k) => !BODY_FIELDS.has(k));
    if (extra.length > 0) return refuse(`the trust body holds unknown fields: ${extra.slice(0, 5).join(", ")}`);
    if (body.action !== "add" && body.action !== "remove") return refuse('the body needs action ("add" or "remove")');
    if (!isDid(body.did)) return refuse("the body needs did (a did:key)");
    const role = body.role ?? "agent";
    if (!(TRUST_ANCHOR_ROLES as readonly unknown[]).includes(role))
      return refuse(`role must be one of ${TRUST_ANCHOR_ROLES.join(", ")}`);
    if (body.reason !== undefined && (typeof body.reason !== "string" || body.reason.length > MAX_REASON)) {
      return refuse(`reason must be a string of at most ${MAX_REASON} characters`);
    }
    // An agent anchor follows its key rotations; an issuer is named by the key that signed its credentials.
    const did = role === "agent" ? this.#o.state().identity.current(body.did) : body.did;
    return { action: body.action, did, role: role as TrustAnchorRole, reason: body.reason as string | undefined };
  }
}
