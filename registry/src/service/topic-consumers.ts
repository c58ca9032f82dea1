/**
 * Topic durables for agents (NATS operator mode). Agents may not create consumers on the topic stream, so a
 * subscription asks here with a signed `subscribe` request: the durable (the agent's own for a topic, or its queue
 * group's) is created if missing, and its name (derived from the mesh account's key, the same on every registry node
 * of the mesh) is told to the requester only. An existing durable is never changed by a request: the first member of a
 * group sets its ack wait, and nobody can re-tune it afterwards. Nothing is appended to the log: the answer is a name,
 * recomputable at will, and asking twice is harmless.
 *
 * Bounded: each durable the registry makes carries its requester in its metadata, and one agent may have at most
 * MAX_TOPIC_DURABLES_PER_AGENT of them (solo, and groups it was first to ask for): asking for more is refused
 * (`too_many_subscriptions`), so no agent can fill the server with consumers (each also holds the topic's messages
 * until it acks them). Counting reads the topic stream's consumer list, only when a new durable would be made.
 *
 * Upgrading: a group's durable of the old kind (`group_<topic>_<group>` on the mesh stream, public name, made by its
 * members) is deleted when its new durable is made, so nobody can steer or drain it any more. Its position is not
 * carried over (the topic stream holds only what was published since it was made).
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { topicDurable, type DurableSpec } from "@plexus/acp";
import type { TopicDurableGrant, TopicSubscribeBody } from "@plexus/anp/internal";
import { RefusalReason } from "@plexus/anp";
import { agentToken, ErrorCode, PlexusError, type MeshSubjects } from "@plexus/core";
import type { Admission } from "./admission.js";

export interface TopicConsumersOptions {
  admission: Admission;
  jsm: JetStreamManager;
  subjects: MeshSubjects;
  /** The key durable names derive from (see @plexus/acp topic-durables.ts); none: this node makes no topic durables. */
  namesKey: Uint8Array | undefined;
  count: (name: string) => void;
}

/** Topic durables one agent may have the registry make (solo ones, and groups it asked for first). */
export const MAX_TOPIC_DURABLES_PER_AGENT = 256;
const OWNER = "plexus-requester";

export class TopicConsumers {
  readonly #o: TopicConsumersOptions;

  constructor(options: TopicConsumersOptions) {
    this.#o = options;
  }

  async subscribe(payload: unknown): Promise<TopicDurableGrant> {
    const namesKey = this.#o.namesKey;
    if (!namesKey) {
      throw new PlexusError(
        ErrorCode.ConfigInvalid,
        `this registry node makes no topic durables: mesh "${this.#o.subjects.mesh}" runs without NATS auth here (agents create their own)`,
      );
    }
    const { request } = await this.#o.admission.check("subscribe", payload);
    const body = request.body as TopicSubscribeBody;
    const spec = topicDurable(this.#o.subjects, namesKey, {
      did: request.did,
      topic: body.topic,
      ...(body.group !== undefined ? { group: body.group } : {}),
      ...(body.ackWaitMs !== undefined ? { ackWaitMs: body.ackWaitMs } : {}),
    });
    const stream = spec.stream ?? this.#o.subjects.topicStream;
    const owner = agentToken(request.did);
    const created = await this.#createIfMissing(
      stream,
      { ...spec, config: { ...spec.config, metadata: { [OWNER]: owner } } },
      async () => {
        if ((await this.#owned(stream, owner)) >= MAX_TOPIC_DURABLES_PER_AGENT) {
          await this.#o.admission.refuse(
            request,
            RefusalReason.TooManySubscriptions,
            `an agent may have at most ${MAX_TOPIC_DURABLES_PER_AGENT} topic durables`,
          );
        }
      },
    );
    if (created && body.group !== undefined)
      await this.#dropLegacyGroup(spec.config.filter_subject, `group_${body.topic}_${body.group}`);
    this.#o.count(created ? "accepted.subscribe.created" : "accepted.subscribe");
    return { stream, name: spec.name, created };
  }

  async #dropLegacyGroup(filter: string | undefined, name: string): Promise<void> {
    const { jsm, subjects } = this.#o;
    try {
      const legacy = await jsm.consumers.info(subjects.stream, name);
      if (legacy.config.filter_subject === filter) await jsm.consumers.delete(subjects.stream, name);
    } catch {
      // Not there (the usual case), or already gone.
    }
  }

  /** How many durables on the topic stream the registry made at this agent's request. */
  async #owned(stream: string, owner: string): Promise<number> {
    let n = 0;
    for await (const c of this.#o.jsm.consumers.list(stream)) if (c.config.metadata?.[OWNER] === owner) n++;
    return n;
  }

  /**
   * Creates the durable unless it exists (`allowed` may refuse a new one); two nodes creating it at once end with the
   * one durable.
   */
  async #createIfMissing(stream: string, spec: DurableSpec, allowed: () => Promise<void>): Promise<boolean> {
    const { jsm } = this.#o;
    if (await exists(jsm, stream, spec.name)) return false;
    await allowed();
    try {
      await jsm.consumers.add(stream, spec.config);
      return true;
    } catch (err) {
      if (await exists(jsm, stream, spec.name)) return false;
      throw err;
    }
  }
}

async function exists(jsm: JetStreamManager, stream: string, name: string): Promise<boolean> {
  try {
    await jsm.consumers.info(stream, name);
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === "ConsumerNotFoundError") return false;
    throw err;
  }
}
