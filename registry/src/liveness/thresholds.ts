import type { Liveness } from "@plexus/anp";
import { ErrorCode, PlexusError } from "@plexus/core";

/** How long without a heartbeat makes an agent suspect, offline, gone. */
export interface LivenessThresholds {
  suspectAfterMs: number;
  offlineAfterMs: number;
  goneAfterMs: number;
}

/** Defaults for the SDK's 5 s beat: suspect after 3 missed beats, offline after 6, gone after 10 minutes. */
export function defaultThresholds(heartbeatIntervalMs: number): LivenessThresholds {
  return {
    suspectAfterMs: 3 * heartbeatIntervalMs,
    offlineAfterMs: 6 * heartbeatIntervalMs,
    goneAfterMs: Math.max(120 * heartbeatIntervalMs, 12 * heartbeatIntervalMs),
  };
}

export function checkThresholds(t: LivenessThresholds): LivenessThresholds {
  if (!(t.suspectAfterMs > 0 && t.offlineAfterMs > t.suspectAfterMs && t.goneAfterMs > t.offlineAfterMs)) {
    throw new PlexusError(
      ErrorCode.ConfigInvalid,
      `liveness thresholds must grow: 0 < suspect (${t.suspectAfterMs}) < offline (${t.offlineAfterMs}) < gone (${t.goneAfterMs}) ms`,
    );
  }
  return t;
}

export function livenessAfter(silenceMs: number, t: LivenessThresholds): Liveness {
  if (silenceMs >= t.goneAfterMs) return "gone";
  if (silenceMs >= t.offlineAfterMs) return "offline";
  if (silenceMs >= t.suspectAfterMs) return "suspect";
  return "alive";
}
