/**
 * `plexus audit status`: head position, sealer lag, last checkpoint and its signer, and the sealers that run (which one
 * writes, each one's state, head and lag); a stalled, refused or failed sealer comes first, in capitals, with its reason.
 */
import { auditStatus, type SealerSighting } from "@plexus/audit";
import type { CommandContext } from "../../common-options.js";
import { printable } from "../../output.js";
import { count, openLive } from "./shared.js";

export async function statusAudit({ common, out }: CommandContext): Promise<number> {
  const live = await openLive(common);
  try {
    const s = await auditStatus({ nc: live.nc, mesh: common.mesh, store: live.store });
    const cp = s.lastCheckpoint;
    const lines = [
      ...s.stalledReasons.map((r) => `STALLED     ${printable(r)}`),
      `mesh        ${s.mesh}`,
      `chain       ${count(s.head.size, "link")}, head ${s.head.hash} (${s.backend})`,
      `mesh log    ${count(s.logEnd, "event")}; sealer lag ${count(s.lag, "event")}`,
      cp
        ? `checkpoint  at ${cp.size.toLocaleString("en-US")}, signed ${new Date(cp.at).toISOString()} by ${cp.signer}${cp.valid ? "" : " (INVALID SIGNATURE)"}`
        : "checkpoint  none yet",
      ...(s.sealers.length === 0 ? ["sealers     none seen (start one with plexus audit seal, plexus registry start or plexus up)"] : s.sealers.map(sealerLine)),
    ];
    out.data(lines.join("\n"), s);
  } finally {
    await live.close();
  }
  return 0;
}

function sealerLine(s: SealerSighting, i: number): string {
  const label = i === 0 ? "sealers     " : "            ";
  const where = `${printable(s.id)} (${printable(s.host)}, pid ${s.pid})`;
  const state = s.live ? `${s.role === "active" ? "writes" : "stands by"}, ${s.state}` : `gone (last seen ${Math.round(s.ageMs / 1000)} s ago, then ${s.state})`;
  const problem = s.problem ? `: ${printable(s.problem.reason)} [${s.problem.code}]` : "";
  return `${label}${where} ${state}; head ${s.head.size}, lag ${s.lag}${s.valid ? "" : " (INVALID SIGNATURE)"}${problem}`;
}
