import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from "@nats-io/jetstream";
import { agentToken, assertName, assertTopic, MessageKind, type MeshSubjects } from "@plexus/core";

const NANOS = 1_000_000;

export interface DurableSpec {
  name: string;
  config: Partial<ConsumerConfig>;
}

export interface ConsumerTuning {
  /** How long the server waits for an ack before it redelivers (ms). Handlers that run longer send progress. */
  ackWaitMs?: number;
  /**
   * Messages handed out and not yet acknowledged, per consumer: the reader's pipeline (1,024) plus handled messages
   * waiting for their receipt to be stored before they are acked. Default 4,096.
   */
  maxAckPending?: number;
}

function base(filter: string, tuning: ConsumerTuning): Partial<ConsumerConfig> {
  return {
    filter_subject: filter,
    ack_policy: AckPolicy.Explicit,
    ack_wait: (tuning.ackWaitMs ?? 30_000) * NANOS,
    // Plexus decides when a message is dead: the server never drops one on its own.
    max_deliver: -1,
    max_ack_pending: tuning.maxAckPending ?? 4_096,
  };
}

/** An agent's inbox: one durable consumer that starts at the beginning, so it holds what was sent while it was away. */
export function inboxConsumer(subjects: MeshSubjects, did: string, tuning: ConsumerTuning = {}): DurableSpec {
  const me = agentToken(did);
  const name = `inbox_${me}`;
  return { name, config: { ...base(subjects.filter(MessageKind.Inbox, me), tuning), durable_name: name, deliver_policy: DeliverPolicy.All } };
}

/**
 * A topic subscription. Without a group: one durable per (agent, topic), receiving every message published from its
 * creation on, including while the agent is away. With a group: one durable per (topic, group), shared by its members,
 * so each message goes to exactly one of them.
 */
export function topicConsumer(subjects: MeshSubjects, did: string, topic: string, group: string | undefined, tuning: ConsumerTuning = {}): DurableSpec {
  assertTopic(topic);
  const name = group !== undefined ? `group_${topic}_${assertName("group", group)}` : `topic_${topic}_${agentToken(did)}`;
  return { name, config: { ...base(subjects.filter(MessageKind.Topic, topic), tuning), durable_name: name, deliver_policy: DeliverPolicy.New } };
}

/** Creates the durable consumer, or updates the settings that may change on an existing one. */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: DurableSpec): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, spec.name);
    const { ack_wait, max_ack_pending } = spec.config;
    if (info.config.ack_wait !== ack_wait || info.config.max_ack_pending !== max_ack_pending) {
      await jsm.consumers.update(stream, spec.name, { ack_wait, max_ack_pending });
    }
  } catch (err) {
    if ((err as { name?: string }).name !== "ConsumerNotFoundError") throw err;
    await jsm.consumers.add(stream, spec.config);
  }
}
