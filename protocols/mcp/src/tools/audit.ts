/** verify_audit: recompute the mesh's audit chain from the raw log and check its signed checkpoints. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, PlexusError } from "@plexus/core";
import type { VerifyReport } from "@plexus/audit";
import type { McpAudit } from "../backend.js";
import { guarded, success } from "../results.js";
import { verifyAuditInput, verifyAuditOutput } from "../schemas.js";

export function registerAuditTool(server: McpServer, audit: McpAudit, mesh: string): void {
  server.registerTool(
    "verify_audit",
    {
      title: "Verify the audit chain",
      description:
        `Prove that the history of mesh "${mesh}" was not altered: recompute every event's hash and the hash chain from the raw log, and check the registry-signed checkpoints. ` +
        "Returns ok, or the first bad position and its kind (altered, missing, inserted, reordered, forked, truncated, checkpoint_mismatch, checkpoint_signature). Reads the whole range: may take a while on a long history.",
      inputSchema: verifyAuditInput,
      outputSchema: verifyAuditOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ from, to }) =>
      guarded(async () => {
        if (from !== undefined && to !== undefined && to < from) {
          throw new PlexusError(ErrorCode.InvalidArgument, `to (${to}) comes before from (${from})`);
        }
        const report = await audit.verify({
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
        });
        return success(reportText(report), reportJson(report));
      }),
  );
}

function reportText(r: VerifyReport): string {
  const cps = `${r.checkpoints.checked} signed checkpoint${r.checkpoints.checked === 1 ? "" : "s"} checked`;
  if (r.ok) return `ok: verified ${r.verified} events; head ${r.head.size} ${r.head.hash}; ${cps}.`;
  return `FAILED at position ${r.position}: ${r.kind}: ${r.detail} (verified ${r.verified} events before it; ${cps}).`;
}

function reportJson(r: VerifyReport): Record<string, unknown> {
  const base = { ok: r.ok, from: r.from, verified: r.verified, head: r.head, checkpoints: r.checkpoints };
  return r.ok ? base : { ...base, position: r.position, kind: r.kind, detail: r.detail };
}
