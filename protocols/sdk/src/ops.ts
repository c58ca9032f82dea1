import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Listed } from "@plexus/acp";
import { listRecords } from "@plexus/acp/internal";
import { connectBus, type BusCredentials } from "@plexus/bus";
import {
  Defaults,
  ErrorCode,
  meshSubjects,
  PlexusError,
  validateDeadLetterRecord,
  validateRejectionRecord,
  type DeadLetterRecord,
  type RejectionRecord,
} from "@plexus/core";

export interface OpsOptions {
  nats?: string | string[] | NatsConnection;
  /** A server in operator mode: the mesh's service user (these views read every agent's records). */
  credentials?: BusCredentials | undefined;
  mesh?: string;
  /** The newest N records (default 100). */
  limit?: number;
}

/**
 * Operator views that need no identity: what the mesh's readers refused, and what they dead-lettered. They read the
 * mesh stream and create nothing; a mesh that does not exist is a MESH_NOT_FOUND error, not a new empty stream.
 */
export function listRejected(options: OpsOptions = {}): Promise<Listed<RejectionRecord>> {
  return withMesh(options, (nc, mesh) =>
    listRecords(nc, meshSubjects(mesh), meshSubjects(mesh).rejectedAll, validateRejectionRecord, options),
  );
}

export function listDeadLetters(options: OpsOptions = {}): Promise<Listed<DeadLetterRecord>> {
  return withMesh(options, (nc, mesh) =>
    listRecords(nc, meshSubjects(mesh), meshSubjects(mesh).deadAll, validateDeadLetterRecord, options),
  );
}

async function withMesh<T>(options: OpsOptions, read: (nc: NatsConnection, mesh: string) => Promise<T>): Promise<T> {
  const mesh = options.mesh ?? Defaults.mesh;
  const given = typeof options.nats === "object" && !Array.isArray(options.nats) ? options.nats : undefined;
  const credentials = options.credentials ? { credentials: options.credentials } : {};
  const nc =
    given ??
    (await connectBus({ servers: options.nats as string | string[] | undefined, name: "plexus-ops", ...credentials }));
  try {
    const jsm = await jetstreamManager(nc);
    const stream = meshSubjects(mesh).stream;
    try {
      await jsm.streams.info(stream);
    } catch (err) {
      if ((err as { name?: string }).name !== "StreamNotFoundError") throw err;
      throw new PlexusError(
        ErrorCode.MeshNotFound,
        `no mesh "${mesh}" on this NATS (stream ${stream} does not exist): check --mesh, or start one with plexus up`,
      );
    }
    return await read(nc, mesh);
  } finally {
    if (!given) await nc.close();
  }
}
