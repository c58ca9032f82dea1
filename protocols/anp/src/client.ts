import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsUserGrant } from "@plexus/bus";
import { ErrorCode, PlexusError, meshSubjects, type MeshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import type { AgentCard } from "./card.js";
import {
  signRequest,
  type Rating,
  type RequestBodies,
  type RequestOp,
  type TopicDurableGrant,
  type TopicSubscribeBody,
  type TrustAnchorRole,
  type TrustBody,
} from "./request.js";
import { makeRotation } from "./rotation.js";
import type { CredentialStatusView } from "./credential-status.js";
import { RegistryOp, unwrapReply } from "./service-wire.js";
import type {
  AgentView,
  AsOf,
  AttestResult,
  DiscoverQuery,
  DiscoverResult,
  JoinResult,
  Reputation,
  RevokeResult,
  TrustAnchorView,
  TrustResult,
} from "./views.js";

/** Agents per request when listing (a page of full agent views stays well under NATS's 1 MB payload limit). */
export const AGENTS_PAGE_SIZE = 200;

export interface RegistryClientOptions {
  /** Per-request timeout in ms (default 5000). */
  timeoutMs?: number;
}

export interface SuspensionAnswer {
  agent: string;
  suspended: boolean;
  seq: number;
}

export interface Answer<T> {
  result: T;
  asOf: AsOf;
}

/** The pause before a request answered NOT_READY is sent again (doubled each time, up to the maximum). */
const NOT_READY_PAUSE_MS = 50;
const NOT_READY_MAX_PAUSE_MS = 500;

/** Talks to the registry nodes of a mesh over NATS request/reply. Holds no state of its own. */
export class RegistryClient {
  readonly subjects: MeshSubjects;
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;

  constructor(nc: NatsConnection, mesh: string, options: RegistryClientOptions = {}) {
    this.#nc = nc;
    this.subjects = meshSubjects(mesh);
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * One request to the registry's queue group. A node answers NOT_READY before it does anything (rebuilding, or behind
   * the log after a failover), so the request is sent again after a short pause (50 ms, doubling up to 500 ms) for as
   * long as the request's timeout allows: the queue group hands each try to any node, so one that is current answers
   * soon, and a node that was behind may have caught up. NOT_READY once the time is spent.
   */
  async call<T>(op: RegistryOp, payload: unknown): Promise<T> {
    const giveUpAt = Date.now() + this.#timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#callOnce<T>(op, payload);
      } catch (err) {
        const pause = Math.min(NOT_READY_PAUSE_MS * 2 ** attempt, NOT_READY_MAX_PAUSE_MS);
        const notReady = err instanceof PlexusError && err.code === ErrorCode.NotReady;
        if (!notReady || Date.now() + pause >= giveUpAt) throw err;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  async #callOnce<T>(op: RegistryOp, payload: unknown): Promise<T> {
    let reply;
    try {
      reply = await this.#nc.request(this.subjects.registryService(op), JSON.stringify(payload ?? {}), {
        timeout: this.#timeoutMs,
      });
    } catch (err) {
      const code = (err as { code?: string; name?: string }).name === "TimeoutError" ? "timeout" : "no responders";
      throw new PlexusError(
        ErrorCode.RegistryUnavailable,
        `no registry node answered ${op} on mesh "${this.subjects.mesh}" (${code}); is one running?`,
        { cause: err },
      );
    }
    return unwrapReply<T>(reply.data);
  }

  async challenge(did: string): Promise<string> {
    const { challenge } = await this.call<{ challenge: string }>(RegistryOp.Challenge, { did });
    return challenge;
  }

  async #signed<O extends RequestOp, T>(op: O, key: KeyPair, body: RequestBodies[O]): Promise<T> {
    const challenge = await this.challenge(key.did);
    return this.call<T>(op, signRequest(key, op, this.subjects.mesh, challenge, body));
  }

  join(key: KeyPair, card: AgentCard): Promise<JoinResult> {
    return this.#signed("join", key, { card });
  }

  update(key: KeyPair, card: AgentCard): Promise<{ seq: number }> {
    return this.#signed("update", key, { card });
  }

  leave(key: KeyPair): Promise<{ seq: number }> {
    return this.#signed("leave", key, {});
  }

  rate(key: KeyPair, rating: Rating): Promise<{ seq: number }> {
    return this.#signed("rate", key, rating);
  }

  /** A NATS user JWT bound to the key, with the agent's permissions (registries in operator mode only). */
  natsUser(key: KeyPair): Promise<NatsUserGrant> {
    return this.#signed("connect", key, {});
  }

  /**
   * The topic durable for `key`'s subscription to `body.topic` (its own, or its queue group's), made by the registry
   * on the mesh's topic stream (NATS operator mode only).
   */
  topicDurable(key: KeyPair, body: TopicSubscribeBody): Promise<TopicDurableGrant> {
    return this.#signed("subscribe", key, body);
  }

  /** Presents a capability credential (VC-JWT); `key` must be its subject or its issuer. */
  attest(key: KeyPair, credential: string): Promise<AttestResult> {
    return this.#signed("attest", key, { credential });
  }

  /** Revokes a credential `key` issued (or, with the registry's key, any credential). */
  revoke(key: KeyPair, credentialId: string, reason?: string, credential?: string): Promise<RevokeResult> {
    return this.#signed("revoke", key, {
      credentialId,
      ...(reason !== undefined ? { reason } : {}),
      ...(credential !== undefined ? { credential } : {}),
    });
  }

  /** Operator kill switch: cuts `agent` off (needs an operator key of the registry). */
  suspend(operator: KeyPair, agent: string, reason: string): Promise<SuspensionAnswer> {
    return this.#signed("suspend", operator, { agent, reason });
  }

  resume(operator: KeyPair, agent: string, reason = ""): Promise<SuspensionAnswer> {
    return this.#signed("resume", operator, { agent, reason });
  }

  /**
   * Adds or removes a trust anchor (EigenTrust's pre-trusted peers), recorded in the log so every node agrees. Needs
   * an operator key of the registry, as suspend does. `role` defaults to "agent".
   */
  trust(
    operator: KeyPair,
    action: TrustBody["action"],
    did: string,
    role?: TrustAnchorRole,
    reason?: string,
  ): Promise<TrustResult> {
    return this.#signed("trust", operator, {
      action,
      did,
      ...(role !== undefined ? { role } : {}),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  /** The mesh's trust anchors, in log order. */
  trustAnchors(): Promise<Answer<TrustAnchorView[]>> {
    return this.call(RegistryOp.TrustAnchors, {});
  }

  /**
   * Moves the identity of `oldKey` (its record, card, reputation, credentials) to `newKey`. Both keys sign. With
   * `compromised`, every credential the old key issued that the log holds is revoked in the same event.
   */
  async rotate(
    oldKey: KeyPair,
    newKey: KeyPair,
    options: { compromised?: boolean } = {},
  ): Promise<{ from: string; to: string; seq: number; revoked?: number }> {
    const challenge = await this.challenge(oldKey.did);
    return this.call(
      "rotate",
      signRequest(oldKey, "rotate", this.subjects.mesh, challenge, makeRotation(oldKey, newKey, challenge, options)),
    );
  }

  /** Every present agent (with `all`, offline and gone ones too), fetched a page at a time. */
  async agents(options: { all?: boolean } = {}): Promise<Answer<AgentView[]>> {
    const first = await this.call<Answer<AgentView[]>>(RegistryOp.Agents, {
      ...options,
      offset: 0,
      limit: AGENTS_PAGE_SIZE,
    });
    const result = [...first.result];
    for (let page = first.result; page.length === AGENTS_PAGE_SIZE; ) {
      page = (
        await this.call<Answer<AgentView[]>>(RegistryOp.Agents, {
          ...options,
          offset: result.length,
          limit: AGENTS_PAGE_SIZE,
        })
      ).result;
      result.push(...page);
    }
    return { result, asOf: first.asOf };
  }

  agent(did: string): Promise<Answer<AgentView>> {
    return this.call(RegistryOp.Agent, { did });
  }

  discover(query: DiscoverQuery = {}): Promise<Answer<DiscoverResult[]>> {
    return this.call(RegistryOp.Discover, query);
  }

  reputation(did: string): Promise<Answer<Reputation>> {
    return this.call(RegistryOp.Reputation, { did });
  }

  /** What the log says about credential `id` of `issuer` (revoked or not), and which keys are the mesh's registry keys. */
  credentialStatus(id: string, issuer: string): Promise<Answer<CredentialStatusView>> {
    return this.call(RegistryOp.CredentialStatus, { id, issuer });
  }
}
