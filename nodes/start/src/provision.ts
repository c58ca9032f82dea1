/**
 * A local mesh's one-shot provisioning step, and what it checks first. Provisioning connects as the mesh's admin user
 * (operator mode; no credentials on an open server), creates or brings to the current settings the mesh stream, the
 * audit streams and the heartbeat bucket, then closes the connection: no long-running part holds the admin credentials.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureAuditStreams } from "@plexus/audit";
import { openHeartbeatBucket } from "@plexus/anp/internal";
import { connectBus, ensureMeshStream, type BusCredentials } from "@plexus/bus";
import { historyStreams, weakenedHistoryStreams } from "@plexus/bus/internal";
import { meshSubjects } from "@plexus/core";
import type { NodeLog } from "./log.js";

/** Provisions the mesh on the server at `url`; returns the mesh stream's name. */
export async function provisionMesh(
  url: string,
  mesh: string,
  admin: BusCredentials | undefined,
  log: NodeLog,
): Promise<string> {
  const nc = await connectBus({
    servers: url,
    name: "plexus up (provisioning)",
    ...(admin ? { credentials: admin } : {}),
  });
  try {
    // Settings that would let history go are put back, and said: whatever was already lost stays visible to the nodes.
    for (const weak of await weakenedHistoryStreams(nc, historyStreams(mesh))) {
      log.warn(`history stream ${weak.stream} had ${weak.settings.join(", ")}: restoring its settings`);
    }
    const stream = await ensureMeshStream(nc, mesh, { update: true });
    await ensureAuditStreams(nc, mesh, { update: true });
    await openHeartbeatBucket(nc, meshSubjects(mesh).heartbeatBucket, true);
    return stream;
  } finally {
    await nc.close();
  }
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
