/**
 * Topic durables in NATS operator mode: made by the registry, on the topic stream, under names derived from a secret
 * of the mesh's services (the account key every registry node of the mesh holds), so every node derives the same name
 * for the same group and no agent can derive any. A solo durable's name depends on its agent and topic and is told
 * only to that agent; a group's depends on topic and group and is told to each agent that asks to join it. Agents
 * may only read info, pull and ack on the topic stream (see @plexus/bus permissions.ts), so knowing a name lets a
 * member take its share of the work and nothing else.
 *
 * The secret is the key the registry signs agents' NATS user JWTs with (the mesh account's), because every registry
 * node of a mesh holds it and no agent does; a registry node's own key would not do (nodes may have different keys,
 * and two names for one group would deliver each message twice). Changing that key renames every topic durable: the
 * new ones start empty.
 */
import { createHmac } from "node:crypto";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { assertName, assertTopic, MessageKind, type MeshSubjects } from "@plexus/core";
import { secretName, type DurableSpec } from "./consumers.js";

const NANOS = 1_000_000;

/** Bounds on the ack wait an agent may ask for (ms). */
export const TOPIC_ACK_WAIT = { min: 1_000, max: 600_000, default: 30_000 } as const;

/** The key topic durable names are derived from: HMAC-SHA256 of the services' secret, per mesh. */
export function topicNamesKey(secret: Uint8Array, mesh: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", secret).update(`plexus/topic-durables/v1/${mesh}`).digest());
}

export interface TopicDurableRequest {
  did: string;
  topic: string;
  group?: string;
  ackWaitMs?: number;
}

/**
 * The durable for a topic subscription: one per (agent, topic) or per (topic, group), delivering what is published
 * from its creation on (and holding it while its readers are away).
 */
export function topicDurable(subjects: MeshSubjects, namesKey: Uint8Array, r: TopicDurableRequest): DurableSpec {
  assertTopic(r.topic);
  const name =
    r.group === undefined
      ? `t_${secretName(namesKey, `solo/${r.did}/${r.topic}`)}`
      : `g_${secretName(namesKey, `group/${r.topic}/${assertName("group", r.group)}`)}`;
  const ackWait = Math.min(
    TOPIC_ACK_WAIT.max,
    Math.max(TOPIC_ACK_WAIT.min, Math.round(r.ackWaitMs ?? TOPIC_ACK_WAIT.default)),
  );
  return {
    name,
    stream: subjects.topicStream,
    config: {
      durable_name: name,
      filter_subject: subjects.filter(MessageKind.Topic, r.topic),
      deliver_policy: DeliverPolicy.New,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ackWait * NANOS,
      max_deliver: -1,
      max_ack_pending: 4_096,
    },
  };
}

/** What the reader is given for a durable the registry made: it only looks it up. */
export function managedDurable(stream: string, name: string): DurableSpec {
  return { name, stream, config: {}, managed: true };
}
