/** `plexus audit status`: head position, sealer lag, last checkpoint and its signer. */
import { auditStatus } from "@plexus/audit";
import type { CommandContext } from "../../common-options.js";
import { count, openLive } from "./shared.js";

export async function statusAudit({ common, out }: CommandContext): Promise<number> {
  const live = await openLive(common);
  try {
    const s = await auditStatus({ nc: live.nc, mesh: common.mesh, store: live.store });
    const cp = s.lastCheckpoint;
    const lines = [
      `mesh        ${s.mesh}`,
      `chain       ${count(s.head.size, "link")}, head ${s.head.hash} (${s.backend})`,
      `mesh log    ${count(s.logEnd, "event")}; sealer lag ${count(s.lag, "event")}`,
      cp
        ? `checkpoint  at ${cp.size.toLocaleString("en-US")}, signed ${new Date(cp.at).toISOString()} by ${cp.signer}${cp.valid ? "" : " (INVALID SIGNATURE)"}`
        : "checkpoint  none yet",
    ];
    out.data(lines.join("\n"), s);
  } finally {
    await live.close();
  }
  return 0;
}
