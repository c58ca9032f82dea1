import { createHmac } from "node:crypto";
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { agentToken, assertName, assertTopic, MessageKind, type MeshSubjects } from "@plexus/core";

const NANOS = 1_000_000;

export interface DurableSpec {
  name: string;
  config: Partial<ConsumerConfig>;
  /** The stream it is on (default: the mesh stream). */
  stream?: string;
  /**
   * Created by a service (the registry's topic durables in operator mode): the reader only looks it up, never creates
   * or changes it (its permissions would not let it).
   */
  managed?: boolean;
  /** The name this consumer had before names were secret: its position is taken over, then it is deleted. */
  legacyName?: string;
}

/**
 * Whose consumer it is. Pulls and acks name a consumer, and NATS permissions cannot tie a consumer name to one
 * agent, so an agent's durable names are secrets: derived from `nameKey`, which only the agent can compute
 * (`consumerNameKey`), and never listed to others (consumer LIST/NAMES are denied to agents).
 */
export interface ConsumerOwner {
  did: string;
  nameKey: Uint8Array;
}

/** The key an agent's consumer names are derived from: HMAC-SHA256 of its private seed, per mesh. */
export function consumerNameKey(seed: Uint8Array, mesh: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", seed).update(`plexus/consumer-names/v1/${mesh}`).digest());
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** 26 base32 characters (130 bits) of HMAC(nameKey, purpose): unguessable without the agent's seed. */
export function secretName(nameKey: Uint8Array, purpose: string): string {
  const mac = createHmac("sha256", nameKey).update(purpose).digest();
  let out = "";
  for (let i = 0; i < 26; i++) {
    const bit = i * 5;
    const word = ((mac[bit >> 3] ?? 0) << 8) | (mac[(bit >> 3) + 1] ?? 0);
    out += BASE32[(word >> (11 - (bit & 7))) & 31];
  }
  return out;
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
export function inboxConsumer(subjects: MeshSubjects, owner: ConsumerOwner, tuning: ConsumerTuning = {}): DurableSpec {
  const me = agentToken(owner.did);
  const name = `inbox_${secretName(owner.nameKey, "inbox")}`;
  return {
    name,
    legacyName: `inbox_${me}`,
    config: {
      ...base(subjects.filter(MessageKind.Inbox, me), tuning),
      durable_name: name,
      deliver_policy: DeliverPolicy.All,
    },
  };
}

/**
 * A topic subscription. Without a group: one durable per (agent, topic), receiving every message published from its
 * creation on, including while the agent is away. With a group: one durable per (topic, group), shared by its members,
 * so each message goes to exactly one of them.
 */
export function topicConsumer(
  subjects: MeshSubjects,
  owner: ConsumerOwner,
  topic: string,
  group: string | undefined,
  tuning: ConsumerTuning = {},
): DurableSpec {
  assertTopic(topic);
  const config = { ...base(subjects.filter(MessageKind.Topic, topic), tuning), deliver_policy: DeliverPolicy.New };
  if (group !== undefined) {
    // Open mode only (no NATS auth, no ownership to keep): in operator mode the registry makes group durables, under
    // secret names (see topic-durables.ts).
    const name = `group_${topic}_${assertName("group", group)}`;
    return { name, config: { ...config, durable_name: name } };
  }
  const name = `topic_${topic}_${secretName(owner.nameKey, `topic/${topic}`)}`;
  return { name, legacyName: `topic_${topic}_${agentToken(owner.did)}`, config: { ...config, durable_name: name } };
}

/** Creates the durable consumer, or updates the settings that may change on an existing one. */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: DurableSpec): Promise<void> {
  if (spec.managed) return;
  try {
    const info = await jsm.consumers.info(stream, spec.name);
    const { ack_wait, max_ack_pending } = spec.config;
    if (info.config.ack_wait !== ack_wait || info.config.max_ack_pending !== max_ack_pending) {
      await jsm.consumers.update(stream, spec.name, { ack_wait, max_ack_pending });
    }
  } catch (err) {
    if (!notFound(err)) throw err;
    const legacy = await legacyConsumer(jsm, stream, spec);
    const floor = legacy?.ack_floor.stream_seq ?? 0;
    await jsm.consumers.add(
      stream,
      floor > 0
        ? { ...spec.config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 }
        : spec.config,
    );
    if (legacy) await jsm.consumers.delete(stream, legacy.name).catch(() => undefined);
  }
}

function notFound(err: unknown): boolean {
  return (err as { name?: string }).name === "ConsumerNotFoundError";
}

/**
 * The consumer a new one replaces: the agent's durable under its old, predictable name. The new one starts after the
 * legacy one's ack floor, so nothing it had acknowledged comes again and nothing it had not is lost. A consumer of
 * that name with another filter is not the agent's (someone squatting the name) and is ignored.
 */
async function legacyConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: DurableSpec,
): Promise<ConsumerInfo | undefined> {
  if (!spec.legacyName) return undefined;
  try {
    const info = await jsm.consumers.info(stream, spec.legacyName);
    return info.config.filter_subject === spec.config.filter_subject ? info : undefined;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}
