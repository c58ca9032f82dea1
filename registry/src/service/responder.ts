import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { REGISTRY_QUEUE, RegistryOp, encodeReply, errorReply, parseCredentialStatusQuery } from "@plexus/anp/internal";
import { ErrorCode, parseJson, PlexusError, type MeshSubjects } from "@plexus/core";
import type { Admission } from "./admission.js";
import type { CredentialRequests } from "./credential-requests.js";
import type { IdentityRequests } from "./identity-requests.js";
import type { NatsUsers } from "./nats-users.js";
import type { TopicConsumers } from "./topic-consumers.js";
import type { TrustRequests } from "./trust-requests.js";
import { AGENTS_PAGE, parseAgentsQuery, parseDiscoverQuery } from "./discover-query.js";
import type { RegistryQueryApi } from "./queries-api.js";

export interface ResponderOptions {
  nc: NatsConnection;
  subjects: MeshSubjects;
  admission: Admission;
  identity: IdentityRequests;
  natsUsers: NatsUsers;
  topics: TopicConsumers;
  credentials: CredentialRequests;
  trust: TrustRequests;
  queries: RegistryQueryApi;
  ready: () => boolean;
  count: (name: string) => void;
}

/**
 * Answers `plexus-registry.<mesh>.<op>` requests in the registry queue group, so the registry nodes of a mesh
 * share the load. Bad requests get a JSON error with a stable code; nothing a caller sends stops the node.
 */
export class Responder {
  readonly #o: ResponderOptions;
  #sub: Subscription | undefined;
  #inflight = new Set<Promise<void>>();

  constructor(options: ResponderOptions) {
    this.#o = options;
  }

  start(): void {
    const prefix = this.#o.subjects.registryService("");
    this.#sub = this.#o.nc.subscribe(this.#o.subjects.registryService("*"), {
      queue: REGISTRY_QUEUE,
      callback: (err, m) => {
        if (err) return;
        const p = this.#handle(m.subject.slice(prefix.length), m).catch(() => this.#o.count("requests.crashed"));
        this.#inflight.add(p);
        void p.finally(() => this.#inflight.delete(p));
      },
    });
  }

  async #handle(op: string, m: Msg): Promise<void> {
    this.#o.count(`requests.${op}`);
    let reply: Uint8Array;
    try {
      const payload = parsePayload(m.data);
      reply = encodeReply({ ok: true, result: await this.#dispatch(op, payload) });
    } catch (err) {
      this.#o.count("requests.failed");
      reply = encodeReply(errorReply(err));
    }
    if (!m.reply) return;
    const max = this.#o.nc.info?.max_payload ?? 1024 * 1024;
    if (reply.length > max) {
      this.#o.count("requests.tooLarge");
      reply = encodeReply(
        errorReply(
          new PlexusError(
            ErrorCode.InvalidArgument,
            `the answer (${reply.length} bytes) exceeds the NATS payload limit (${max}); ask for fewer results (limit/offset)`,
          ),
        ),
      );
    }
    try {
      m.respond(reply);
    } catch (_err) {
      // A closed connection or an oversized reply must never take the node down.
      this.#o.count("requests.replyFailed");
    }
  }

  #dispatch(op: string, payload: Record<string, unknown>): unknown {
    const { admission, queries } = this.#o;
    if (op !== RegistryOp.Status && !this.#o.ready()) {
      throw new PlexusError(
        ErrorCode.NotReady,
        "this registry node is rebuilding its state from the log, or is behind the log (see its /v1/status lag)",
      );
    }
    switch (op) {
      case RegistryOp.Challenge:
        return admission.challenge(payload);
      case RegistryOp.Join:
        return admission.join(payload);
      case RegistryOp.Update:
        return admission.update(payload);
      case RegistryOp.Leave:
        return admission.leave(payload);
      case RegistryOp.Rate:
        return admission.rate(payload);
      case RegistryOp.Suspend:
        return this.#o.identity.suspend(payload);
      case RegistryOp.Resume:
        return this.#o.identity.resume(payload);
      case RegistryOp.Rotate:
        return this.#o.identity.rotate(payload);
      case RegistryOp.Connect:
        return this.#o.natsUsers.connect(payload);
      case RegistryOp.Subscribe:
        return this.#o.topics.subscribe(payload);
      case RegistryOp.Attest:
        return this.#o.credentials.attest(payload);
      case RegistryOp.Revoke:
        return this.#o.credentials.revoke(payload);
      case RegistryOp.Trust:
        return this.#o.trust.trust(payload);
      case RegistryOp.Agents:
        return queries.agents({ limit: AGENTS_PAGE, ...parseAgentsQuery(payload) });
      case RegistryOp.Agent:
        return queries.agent(requireString(payload, "did"));
      case RegistryOp.Discover:
        return queries.discover(parseDiscoverQuery(payload));
      case RegistryOp.Reputation:
        return queries.reputation(requireString(payload, "did"));
      case RegistryOp.TrustAnchors:
        return queries.trustAnchors();
      case RegistryOp.CredentialStatus:
        return queries.credentialStatus(parseCredentialStatusQuery(payload));
      case RegistryOp.Status:
        return queries.status();
      default:
        throw new PlexusError(ErrorCode.InvalidArgument, `unknown registry operation "${op}"`);
    }
  }

  async stop(): Promise<void> {
    this.#sub?.unsubscribe();
    await Promise.allSettled([...this.#inflight]);
  }
}

function parsePayload(data: Uint8Array): Record<string, unknown> {
  if (data.length === 0) return {};
  const read = parseJson(data);
  if (!read.ok)
    throw new PlexusError(ErrorCode.InvalidArgument, `the request is refused (${read.reason}): ${read.detail}`, {
      details: { reason: read.reason },
    });
  const value = read.value;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PlexusError(ErrorCode.InvalidArgument, "the request must be a JSON object");
  return value as Record<string, unknown>;
}

function requireString(payload: Record<string, unknown>, field: string): string {
  const v = payload[field];
  if (typeof v !== "string" || v.length === 0)
    throw new PlexusError(ErrorCode.InvalidArgument, `the request needs "${field}"`);
  return v;
}
