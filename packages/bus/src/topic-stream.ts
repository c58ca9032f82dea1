/**
 * The stream that holds a mesh's topic durables in NATS operator mode. Why a second stream: an agent that may create
 * consumers on a stream can also update any consumer of that stream whose name it knows (the create subject carries
 * the new filter, the create-or-update choice is in the body, where permissions cannot look), and a queue group's
 * members must all know their durable's name. So group and solo topic durables live here, where agents may only read
 * (consumer INFO, MSG.NEXT, ACK) and the registry, with the service user, creates them (see @plexus/registry
 * topic-consumers.ts).
 *
 * Settings, on purpose:
 * - sources the topic messages of the mesh stream (`plexus.<mesh>.acp.topic.>`) from its creation on (not the log's
 *   past: topic durables start at their creation anyway): subjects, headers and payloads are the same bytes, so
 *   readers verify them exactly as on the log; the log stays the history;
 * - interest retention: a message is kept until every durable whose filter matches it has acked it, then removed (a
 *   message no durable wants is not kept at all). A solo durable therefore still holds what was published while its
 *   agent was away, and the copy does not grow without bound;
 * - file storage, replicas as the mesh's settings say (mesh-settings.ts); no subjects of its own (nobody publishes to it
 *   directly).
 */
import {
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { MessageKind, meshSubjects } from "@plexus/core";
import type { MeshStreamOptions } from "./mesh-stream.js";
import { replicasError, replicasFor } from "./mesh-settings.js";

export function topicStreamConfig(
  mesh: string,
  options: MeshStreamOptions = {},
): Partial<StreamConfig> & { name: string } {
  const s = meshSubjects(mesh);
  return {
    name: s.topicStream,
    description: `Plexus mesh "${mesh}": topic messages for the registry-made topic durables`,
    sources: [
      { name: s.stream, filter_subject: s.kindAll(MessageKind.Topic), opt_start_time: new Date().toISOString() },
    ],
    storage: StorageType.File,
    retention: RetentionPolicy.Interest,
    discard: DiscardPolicy.Old,
    num_replicas: options.replicas ?? 1,
  };
}

/**
 * Creates the topic stream when it is missing (the mesh stream must exist), with `replicas` or else the mesh's
 * settings. Idempotent.
 */
export async function ensureTopicStream(
  nc: NatsConnection,
  mesh: string,
  options: MeshStreamOptions = {},
): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const name = meshSubjects(mesh).topicStream;
  try {
    await jsm.streams.info(name);
    return name;
  } catch (err) {
    if ((err as { name?: string }).name !== "StreamNotFoundError") throw err;
  }
  const replicas = await replicasFor(jsm, mesh, options.replicas);
  await jsm.streams.add(topicStreamConfig(mesh, { ...options, replicas })).catch(async (err: unknown) => {
    // Another node made it since we looked (registry nodes start together; each config has its own start time, so
    // JetStream refuses the later create as "already in use with a different configuration"): theirs serves, once
    // it answers (in a cluster, a few hundred ms after its creation).
    if (!(await answers(jsm, name))) throw replicasError(err, name, replicas);
  });
  return name;
}

/** Whether stream `name` answers within `waitMs` (polled every 100 ms). */
async function answers(jsm: JetStreamManager, name: string, waitMs = 5_000): Promise<boolean> {
  const end = Date.now() + waitMs;
  while (Date.now() < end) {
    if (await jsm.streams.info(name).catch(() => undefined)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
