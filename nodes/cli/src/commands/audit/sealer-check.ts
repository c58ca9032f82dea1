/**
 * What `plexus audit verify` and `plexus audit status` say about the sealing besides the chain: a chain that verifies
 * proves nothing about the events after its end. Judged from the chain itself (events waiting longer than
 * --stall-after with a head that does not move: nothing seals, whatever any record claims) and from the sealers'
 * presence records signed by a trusted key (one reporting a problem: stalled, refused, failed), see @plexus/audit
 * query/sealing-progress.ts and node/presence.ts; links past the newest trusted checkpoint left unsigned for twice
 * --stall-after). Any of these makes verify exit 4 instead of 0; the rest (a sealer catching up or starting, records
 * not believed) are warnings.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { readRegistryRotations } from "@plexus/anp/internal";
import { auditStatus, type AuditStore } from "@plexus/audit";
import { meshSubjects } from "@plexus/core";
import { secondsOption, type OptionValues } from "../../common-options.js";
import { printable } from "../../output.js";
import { COMMAND, followRotations } from "./shared.js";

export interface SealerCheck {
  /** Nothing seals, or a trusted live sealer reports a problem: one line each; verify is not ok. */
  stalled: string[];
  /** Other things worth saying. */
  warnings: string[];
}

export interface SealerCheckOptions {
  /** Keys whose sealer records count, rotations already followed (default: any whose signature holds). */
  trusted?: readonly string[];
  stallAfterMs?: number;
}

export async function checkSealers(
  nc: NatsConnection,
  mesh: string,
  store: AuditStore,
  o: SealerCheckOptions = {},
): Promise<SealerCheck> {
  const s = await auditStatus({
    nc,
    mesh,
    store,
    ...(o.trusted ? { trusted: new Set(o.trusted) } : {}),
    ...(o.stallAfterMs !== undefined ? { stallAfterMs: o.stallAfterMs } : {}),
  });
  return { stalled: s.stalledReasons.map(printable), warnings: s.warnings.map(printable) };
}

/** --stall-after SECONDS, in ms. */
export function stallAfterOption(values: OptionValues): number | undefined {
  const s = secondsOption(values, "stall-after", COMMAND);
  return s === undefined ? undefined : Math.round(s * 1000);
}

/** The pinned signers and the keys the log says they were rotated to. */
export async function trustedWithRotations(
  nc: NatsConnection,
  mesh: string,
  signers: string[] | undefined,
): Promise<string[] | undefined> {
  return signers && followRotations(signers, await readRegistryRotations(nc, meshSubjects(mesh)));
}
