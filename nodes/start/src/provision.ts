/**
 * A mesh's one-shot provisioning step (`plexus up`, `plexus mesh create`), and what it checks first. Provisioning
 * connects as the mesh's admin user (operator mode; no credentials on an open server), writes the mesh's settings (the
 * replica count, into the mesh stream's metadata: @plexus/bus mesh-settings.ts), creates or brings to the current
 * settings the mesh stream, the audit streams and the heartbeat bucket, sets every other existing stream and bucket of
 * the mesh (topic stream, sealers, A2A tasks) to the replica count, then closes the connection: no long-running part
 * holds the admin credentials. Without `replicas` the mesh keeps the count its settings already name (1 for a new mesh).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureAuditStreams } from "@plexus/audit";
import { openHeartbeatBucket } from "@plexus/anp/internal";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectBus, ensureMeshStream, readMeshSettings, setMeshReplicas, type BusCredentials } from "@plexus/bus";
import { assertPlaceable, historyStreams, weakenedHistoryStreams, whilePlacing } from "@plexus/bus/internal";
import { meshSubjects } from "@plexus/core";
import type { NodeLog } from "./log.js";

export interface ProvisionOptions {
  /** Replicas of every stream and bucket of the mesh (default: what the mesh's settings already say; 1 for a new mesh). */
  replicas?: number;
}

export interface Provisioned {
  /** The mesh stream's name. */
  stream: string;
  /** The replica count the mesh's settings now say. */
  replicas: number;
  /** Streams and buckets whose replica count this changed. */
  changed: { name: string; from: number; to: number }[];
}

/** Provisions the mesh on the server(s) at `url`; returns the mesh stream's name. */
export async function provisionMesh(
  url: string | string[],
  mesh: string,
  admin: BusCredentials | undefined,
  log: NodeLog,
  options: ProvisionOptions = {},
): Promise<string> {
  const nc = await connectBus({
    servers: url,
    name: "plexus up (provisioning)",
    ...(admin ? { credentials: admin } : {}),
  });
  try {
    return (await provisionOn(nc, mesh, log, options)).stream;
  } finally {
    await nc.close();
  }
}

/** Provisioning on a connection the caller holds (as the admin user in operator mode). */
export async function provisionOn(
  nc: NatsConnection,
  mesh: string,
  log: NodeLog,
  options: ProvisionOptions = {},
): Promise<Provisioned> {
  // Settings that would let history go are put back, and said: whatever was already lost stays visible to the nodes.
  for (const weak of await weakenedHistoryStreams(nc, historyStreams(mesh))) {
    log.warn(`history stream ${weak.stream} had ${weak.settings.join(", ")}: restoring its settings`);
  }
  const replicas = options.replicas ?? (await readMeshSettings(nc, mesh)).replicas;
  assertPlaceable(nc, replicas);
  // Existing streams first (the mesh stream leads: a count the cluster cannot keep is refused before anything changed),
  // then the settings and what provisioning creates.
  // Every step is idempotent: repeated while a cluster that just started has not placed all its servers yet.
  return whilePlacing(
    async () => {
      const changed = await setMeshReplicas(nc, mesh, replicas);
      const stream = await ensureMeshStream(nc, mesh, { update: true, replicas });
      await ensureAuditStreams(nc, mesh, { update: true, replicas });
      await openHeartbeatBucket(nc, meshSubjects(mesh).heartbeatBucket, true, replicas);
      return { stream, replicas, changed };
    },
    { replicas, servers: nc.info?.connect_urls?.length, onWait: (why) => log.info(`plexus: ${why}`) },
  );
}

/**
 * A data folder used in open mode keeps the mesh's history in NATS's global account; in operator mode the mesh has
 * an account of its own, so that history is not seen. Say so rather than look empty.
 */
export function warnOpenModeHistory(dataDir: string, mesh: string, log: NodeLog): void {
  if (!existsSync(join(dataDir, "jetstream", "$G", "streams", meshSubjects(mesh).stream))) return;
  log.warn(
    `${dataDir} holds mesh "${mesh}" history written without NATS auth; in operator mode the mesh has its own account and starts empty (run with --no-auth to keep using that history)`,
  );
}
