/**
 * Where task records persist: a JetStream KV bucket per mesh (file storage, latest value per key), so a restarted
 * gateway answers GetTask and goes on applying replies for tasks it created before. An in-memory store for tests.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { replicasError, replicasFor } from "@plexus/bus/internal";
import { agentToken } from "@plexus/core";
import { decodeRecord, encodeFitting, isTaskId, type TaskRecord } from "./task-record.js";

/** Largest stored record: well inside NATS's default 1 MiB message, older history is dropped to stay under it. */
export const MAX_RECORD_BYTES = 768 * 1024;

export interface TaskStore {
  load(taskId: string): Promise<TaskRecord | undefined>;
  save(record: TaskRecord): Promise<void>;
}

/** The bucket of a mesh's A2A tasks (all gateways of the mesh; keys are prefixed with the gateway's agent token). */
export function taskBucketName(mesh: string): string {
  return `PLEXUS_${mesh.toUpperCase()}_A2A_TASKS`;
}

export interface KvTaskStoreOptions {
  nc: NatsConnection;
  mesh: string;
  /** The gateway's DID: its tasks are its own. */
  gateway: string;
  /** How long a task record is kept after its last change (ms). */
  retentionMs: number;
  /** Replicas of the bucket when this creates it. Default: the mesh's settings (@plexus/bus readMeshSettings). */
  replicas?: number;
}

export class KvTaskStore implements TaskStore {
  readonly #kv: KV;
  readonly #prefix: string;

  private constructor(kv: KV, gateway: string) {
    this.#kv = kv;
    this.#prefix = agentToken(gateway);
  }

  /** Opens the bucket, creating it when missing (an existing bucket keeps the retention it was made with). */
  static async open(o: KvTaskStoreOptions): Promise<KvTaskStore> {
    const kvm = new Kvm(jetstream(o.nc));
    const name = taskBucketName(o.mesh);
    const replicas = await replicasFor(o.nc, o.mesh, o.replicas);
    // create() is idempotent for the same settings; a bucket made with other settings (retention) is used as it is.
    const kv = await kvm
      .create(name, { history: 1, ttl: o.retentionMs, replicas, description: "A2A tasks of the mesh's gateways" })
      .catch(async (err: unknown) => {
        const info = await jetstreamManager(o.nc)
          .then((jsm) => jsm.streams.info(`KV_${name}`))
          .catch(() => undefined);
        if (!info) throw replicasError(err, `KV_${name}`, replicas);
        return kvm.open(name);
      });
    return new KvTaskStore(kv, o.gateway);
  }

  async load(taskId: string): Promise<TaskRecord | undefined> {
    if (!isTaskId(taskId)) return undefined;
    const entry = await this.#kv.get(`${this.#prefix}.${taskId}`);
    if (entry?.operation !== "PUT") return undefined;
    return decodeRecord(entry.string());
  }

  async save(record: TaskRecord): Promise<void> {
    await this.#kv.put(`${this.#prefix}.${record.task.id}`, encodeFitting(record, MAX_RECORD_BYTES));
  }
}

/** Keeps the stored form in memory (so a test sees exactly what would be persisted). */
export class MemoryTaskStore implements TaskStore {
  readonly #records = new Map<string, string>();

  async load(taskId: string): Promise<TaskRecord | undefined> {
    const text = this.#records.get(taskId);
    return text === undefined ? undefined : decodeRecord(text);
  }

  async save(record: TaskRecord): Promise<void> {
    this.#records.set(record.task.id, encodeFitting(record, MAX_RECORD_BYTES));
  }
}
