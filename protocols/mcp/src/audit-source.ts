/** The audit verifier over a mesh's JetStream audit store, and whether the mesh has an audit chain at all. */
import type { NatsConnection } from "@nats-io/transport-node";
import { openJetStreamAuditStore, verifyStore } from "@plexus/audit";
import { auditPresence } from "@plexus/audit/internal";
import { checkHistoryStreams } from "@plexus/bus";
import { historyStreams } from "@plexus/bus/internal";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { AuditRange, McpAudit } from "./backend.js";

export interface JetStreamAuditOptions {
  nc: NatsConnection;
  mesh: string;
  /** Checkpoints signed by anyone else fail verification (default: any valid signature). */
  trustedSigners?: string[];
}

/** Whether a sealer has started the mesh's audit chain (looks only; never creates the streams). */
export async function auditChainExists(nc: NatsConnection, mesh: string): Promise<boolean> {
  return (await auditPresence(nc, mesh)).chain;
}

/**
 * Verifies the mesh's live chain against its live log, as `plexus audit verify` does; a history stream that would let
 * history go or has lost some is the HISTORY_STREAM_* error instead of a verdict.
 */
export function jetStreamAudit(o: JetStreamAuditOptions): McpAudit {
  return {
    async verify(range: AuditRange) {
      if (!(await auditChainExists(o.nc, o.mesh))) {
        throw new PlexusError(ErrorCode.MeshNotFound, `mesh "${o.mesh}" has no audit chain (no sealer has run)`);
      }
      const refusal = await checkHistoryStreams(o.nc, historyStreams(o.mesh));
      if (refusal) throw refusal;
      const store = await openJetStreamAuditStore({ nc: o.nc, mesh: o.mesh });
      try {
        return await verifyStore({
          nc: o.nc,
          mesh: o.mesh,
          store,
          ...range,
          ...(o.trustedSigners ? { trustedSigners: o.trustedSigners } : {}),
        });
      } finally {
        await store.close();
      }
    },
  };
}

/**
 * `jetStreamAudit` once the mesh has a chain, else undefined; remembers a found chain, and looks again at most every
 * `recheckMs` while there is none (for servers created per request).
 */
export function auditWhenPresent(
  o: JetStreamAuditOptions & { recheckMs?: number },
): () => Promise<McpAudit | undefined> {
  const audit = jetStreamAudit(o);
  let found = false;
  let checkedAt = -Infinity;
  return async () => {
    if (!found && Date.now() - checkedAt >= (o.recheckMs ?? 5_000)) {
      checkedAt = Date.now();
      found = await auditChainExists(o.nc, o.mesh).catch(() => false);
    }
    return found ? audit : undefined;
  };
}
