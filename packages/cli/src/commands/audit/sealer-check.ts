/**
 * What `plexus audit verify` says about the sealers besides the chain: a chain that verifies proves nothing about the
 * events after its end, so a live sealer reporting a problem (stalled, refused, failed: its presence record, see
 * @plexus/audit node/presence.ts) makes verify exit 4 instead of 0; events waiting with no sealer writing is a warning
 * (a mesh may be sealed only now and then, by a sealer started for the purpose).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { meshLogEnd, readSealerPresence, sealerTrouble, troubledSealers, type AuditStore } from "@plexus/audit";
import { printable } from "../../output.js";

export interface SealerCheck {
  /** One line per live sealer that reports a problem: verify is not ok. */
  stalled: string[];
  /** Other things worth saying (no sealer writing while events wait). */
  warnings: string[];
}

export async function checkSealers(nc: NatsConnection, mesh: string, store: AuditStore): Promise<SealerCheck> {
  const [sightings, head, logEnd] = await Promise.all([readSealerPresence(nc, mesh), store.head(), meshLogEnd(nc, mesh)]);
  const troubled = troubledSealers(sightings);
  const all = sealerTrouble(sightings, Math.max(0, logEnd - head.size)).map(printable);
  return { stalled: all.slice(0, troubled.length), warnings: all.slice(troubled.length) };
}
