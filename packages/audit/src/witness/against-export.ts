/**
 * An export file (format plexus-audit/1) against what a witness vouched for: the same check as against-log.ts, with
 * the tree rebuilt from the file's events instead of the live log, so that a copy of the log taken elsewhere can be
 * held to a witness's folder without NATS. The file must start at position 1 (a witnessed root covers positions
 * 1…size); a file that ends before the witnessed size is `rollback`, one that gives another root `fork`.
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import { readExport } from "../export/reader.js";
import { eventsHoldHead, type LogAgainstHead } from "./against-log.js";

export async function exportHoldsHead(path: string, head: { size: number; root: Uint8Array }): Promise<LogAgainstHead> {
  const src = await readExport(path);
  if (src.from !== 1) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `${path} starts at position ${src.from}: a witness's checkpoint covers positions from 1, so only a full export can be held to it`,
    );
  }
  // Only the events are read (the links side stays closed, so the pass does not queue them).
  return eventsHoldHead(src.events, Number.MAX_SAFE_INTEGER, head);
}
