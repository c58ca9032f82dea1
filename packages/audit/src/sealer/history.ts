/**
 * What the sealer trusts: the mesh log and (JetStream store) both audit streams, only while they keep their history and
 * are the streams it saw before (@plexus/bus HistoryGuard: settings, lost history, creation times remembered in
 * `historyDir`; at start, after reconnects, every `historyCheckMs`). A refused stream is handed to `onRefused`.
 */
import { HistoryAnchors, HistoryGuard } from "@plexus/bus";
import { meshSubjects, type PlexusError } from "@plexus/core";
import type { SealerOptions } from "./types.js";

/** The sealer checks its history streams this often by default: a replaced log is noticed within seconds. */
export const DEFAULT_SEALER_HISTORY_CHECK_MS = 2_000;

export function sealerHistoryGuard(options: SealerOptions, onRefused: (refusal: PlexusError) => void): HistoryGuard {
  return new HistoryGuard({
    nc: options.nc,
    streams: guardedStreams(options),
    anchors: new HistoryAnchors(options.historyDir),
    intervalMs: options.historyCheckMs ?? DEFAULT_SEALER_HISTORY_CHECK_MS,
    onRefused,
  });
}

/** The mesh log, and the audit streams when the store keeps the chain in JetStream. */
function guardedStreams(o: SealerOptions): string[] {
  const names = (o.store as { names?: { chainStream?: string; checkpointStream?: string } }).names;
  const audit =
    o.store.backend === "jetstream" && names?.chainStream && names.checkpointStream
      ? [names.chainStream, names.checkpointStream]
      : [];
  return [meshSubjects(o.mesh).stream, ...audit];
}
