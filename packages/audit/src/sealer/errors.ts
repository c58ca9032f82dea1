/** The sealer's own errors: a fork of the chain (AUDIT_FORK, final) and "stopped" (CLOSED). */
import { ErrorCode, PlexusError } from "@plexus/core";

export function forkError(position: number, what: string, details: Record<string, unknown> = {}): PlexusError {
  return new PlexusError(ErrorCode.AuditFork, `audit chain fork at position ${position}: ${what}`, {
    details: { position, ...details },
  });
}

export function closedError(): PlexusError {
  return new PlexusError(ErrorCode.Closed, "the sealer was stopped");
}
