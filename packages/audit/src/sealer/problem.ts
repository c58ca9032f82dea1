/**
 * What a sealer reports about itself: the `problem` of a stalled, failed or refused sealer (a stable code, words, since
 * when), and the `refusal` of a refused one (its HISTORY_STREAM_* code, the stream, the reason).
 */
import { ErrorCode, type PlexusError } from "@plexus/core";
import type { SealerProblem, SealerStats } from "./types.js";

export interface ProblemState {
  state: SealerStats["state"];
  /** The current stall of a running sealer (stuck or behind), if any. */
  stall: SealerProblem | undefined;
  refusal: PlexusError | undefined;
  failure: unknown;
  /** When the sealer failed or was refused (for `problem.since`). */
  failedAt: number;
}

export function sealerProblem(s: ProblemState): SealerProblem | undefined {
  if (s.state === "running") return s.stall && { ...s.stall };
  const err = s.refusal ?? (s.state === "failed" ? s.failure : undefined);
  if (err === undefined) return undefined;
  const code = (err as PlexusError).code ?? ErrorCode.AuditStoreFailed;
  const reason = String((err as PlexusError).details?.["reason"] ?? (err as Error).message ?? err);
  return { code, reason, since: s.failedAt };
}

export function refusalOf(refusal: PlexusError): NonNullable<SealerStats["refusal"]> {
  const d = refusal.details ?? {};
  return { code: refusal.code, stream: String(d["stream"] ?? ""), reason: String(d["reason"] ?? refusal.message) };
}
