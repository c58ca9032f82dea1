/**
 * `plexus audit status [--signer DID] [--stall-after SECONDS]`: head position, sealer lag, last checkpoint and its
 * signer, and the sealers that run (which one writes, each one's state, head and lag). Whether the mesh is sealed is
 * judged from the chain itself and from the records signed by a trusted key (sealer-check.ts): a stall comes first, in
 * capitals, with its reason; records not signed by a trusted key are marked and never believed.
 */
import { auditStatus, type SealerSighting } from "@plexus/audit";
import type { CommandContext } from "../../common-options.js";
import { printable } from "../../output.js";
import { stallAfterOption, trustedWithRotations } from "./sealer-check.js";
import { count, openLive, trustedSigners } from "./shared.js";

export async function statusAudit({ common, values, out }: CommandContext): Promise<number> {
  const signers = trustedSigners(values);
  const stallAfterMs = stallAfterOption(values);
  const live = await openLive(common);
  try {
    const trusted = await trustedWithRotations(live.nc, common.mesh, signers);
    const s = await auditStatus({
      nc: live.nc,
      mesh: common.mesh,
      store: live.store,
      ...(trusted ? { trusted: new Set(trusted) } : {}),
      ...(stallAfterMs !== undefined ? { stallAfterMs } : {}),
    });
    const cp = s.lastCheckpoint;
    const waited =
      s.oldestWaitingMs !== undefined ? `, the oldest waiting ${Math.round(s.oldestWaitingMs / 1000)} s` : "";
    const lines = [
      ...s.stalledReasons.map((r) => `STALLED     ${printable(r)}`),
      `mesh        ${s.mesh}`,
      `chain       ${count(s.head.size, "link")}, head ${s.head.hash} (${s.backend})`,
      `mesh log    ${count(s.logEnd, "event")}; sealer lag ${count(s.lag, "event")}${waited}`,
      cp
        ? `checkpoint  at ${cp.size.toLocaleString("en-US")}, signed ${new Date(cp.at).toISOString()} by ${cp.signer}${cp.valid ? "" : " (INVALID SIGNATURE)"}${trusted && !trusted.includes(cp.signer) ? " (NOT A KEY YOU PINNED)" : ""}`
        : "checkpoint  none yet",
      ...(s.sealers.length === 0
        ? ["sealers     none seen (start one with plexus audit seal, plexus registry start or plexus up)"]
        : s.sealers.map(sealerLine)),
      ...s.warnings.map((w) => `note        ${printable(w)}`),
    ];
    out.data(lines.join("\n"), { ...s, pinned: trusted ?? null });
  } finally {
    await live.close();
  }
  return 0;
}

function sealerLine(s: SealerSighting, i: number): string {
  const label = i === 0 ? "sealers     " : "            ";
  const where = `${printable(s.id)} (${printable(s.host)}, pid ${s.pid})`;
  const state = s.live
    ? `${s.role === "active" ? "writes" : "stands by"}, ${s.state}`
    : `gone (last seen ${Math.round(s.ageMs / 1000)} s ago, then ${s.state})`;
  const problem = s.problem ? `: ${printable(s.problem.reason)} [${s.problem.code}]` : "";
  const belief = s.trusted ? "" : ` (NOT BELIEVED: ${printable(s.doubt ?? "")})`;
  return `${label}${where} ${state}; head ${s.head.size}, lag ${s.lag}${belief}${problem}`;
}
