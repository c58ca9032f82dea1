import { jetstreamManager, type StreamConfig, DiscardPolicy, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Defaults, meshSubjects } from "@plexus/core";
import { meshSettingsOf, meshStreamInfo, replicasError, withMeshSettings } from "./mesh-settings.js";

export interface MeshStreamOptions {
  /**
   * Replicas (1 for a single server; 3 in a JetStream cluster). Default: the mesh's settings (mesh-settings.ts), which
   * for a mesh stream that does not exist yet is 1.
   */
  replicas?: number;
  /** Largest message the stream stores, bytes. */
  maxMsgSize?: number;
}

/**
 * The stream that holds a mesh's history: messages, receipts, replies, rejection records and dead letters.
 * Everything else (inbox views, topic subscriptions, the audit chain, registry projections) is a consumer of it.
 *
 * Settings, on purpose:
 * - file storage, limits retention with no age/size limit: history is kept; consumers do not remove messages
 *   (interest or work-queue retention would, and the log must stay whole for audit and rebuilds);
 * - deny_delete and deny_purge: no client can remove a message or purge the log through the API (limits would still
 *   drop history, and a stream can still be deleted: in operator mode only the admin user may update or delete it, see
 *   auth/service-permissions.ts, and every node refuses a stream with limits or a new creation time, see history/);
 * - duplicate_window = Defaults.duplicateWindowMs (2 min): a publish retried with the same Nats-Msg-Id
 *   (the envelope id) within it is stored once;
 * - discard old is never reached without limits; max_msg_size bounds what a buggy client can store.
 * Durability against an OS crash is the server's `sync_interval` (see `plexus up --fsync`).
 */
/**
 * The settings of a stream that keeps history: file storage, limits retention with no limits (nothing expires and no
 * consumer removes anything), and no client may delete, purge or roll up messages. The mesh stream and the audit
 * chain's streams use them.
 */
export function historyStreamSettings(replicas = 1): Partial<StreamConfig> {
  return {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    deny_delete: true,
    deny_purge: true,
    allow_rollup_hdrs: false,
    num_replicas: replicas,
  };
}

export function meshStreamConfig(
  mesh: string,
  options: MeshStreamOptions = {},
): Partial<StreamConfig> & { name: string; subjects: string[] } {
  const subjects = meshSubjects(mesh);
  return {
    name: subjects.stream,
    description: `Plexus mesh "${mesh}": the event log`,
    subjects: [subjects.all],
    ...historyStreamSettings(options.replicas ?? 1),
    duplicate_window: Defaults.duplicateWindowMs * 1_000_000,
    max_msg_size: options.maxMsgSize ?? Defaults.maxEnvelopeBytes * 2,
  };
}

/**
 * Creates the mesh stream when it is missing. With `update`, an existing stream is brought to the current settings and
 * its replica count to `replicas` (default: the one its settings already name), and the settings are written into its
 * metadata: what provisioning does (`plexus up`, `plexus mesh create`, as the admin user). Agents and nodes only
 * create, and a stream they create is never given fewer replicas than the settings say: the settings live in this
 * stream, so when it is missing there are none (1), and when it exists nothing is created. Idempotent.
 */
export async function ensureMeshStream(
  nc: NatsConnection,
  mesh: string,
  options: MeshStreamOptions & { update?: boolean } = {},
): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const name = meshSubjects(mesh).stream;
  const info = await meshStreamInfo(jsm, mesh);
  if (info && !options.update) return name;
  const replicas = options.replicas ?? meshSettingsOf(info).replicas;
  const config = meshStreamConfig(mesh, { ...options, replicas });
  // Provisioning (update) writes the setting; a creator that was given none leaves the stream without one.
  if (options.update || options.replicas !== undefined)
    config.metadata = withMeshSettings(info?.config.metadata, { replicas });
  try {
    if (info) await jsm.streams.update(name, config);
    else await jsm.streams.add(config);
  } catch (err) {
    throw replicasError(err, name, replicas);
  }
  return name;
}
