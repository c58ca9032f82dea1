/**
 * Reading an export back as the verifier's inputs. The checkpoints are found first by a quick byte search of the whole
 * file (wherever they sit: one moved into the middle still counts); the events and links then come from one pass over
 * the file that feeds both, so the file is parsed once. A line that does not parse is kept as evidence: it becomes an
 * unreadable position for the verifier to name, not a read error.
 */
import { open } from "node:fs/promises";
import { ErrorCode, PlexusError } from "@plexus/core";
import { GENESIS } from "../chain.js";
import type { ChainLink, Checkpoint, LogEvent } from "../types.js";
import type { BatchedSource } from "../verify/cursor.js";
import { isHash } from "../verify/hashing.js";
import { EXPORT_FORMAT, parseLine, type ExportHeader } from "./format.js";
import { grepLines } from "./lines.js";
import { ExportPump } from "./pump.js";

export interface ExportSource {
  header: ExportHeader;
  /** First position of the file, and the stored hash before it: where verification starts. */
  from: number;
  prevHash: string;
  checkpoints: Checkpoint[];
  /** One pass over the file feeds both; start iterating both before reading either (verifyChain does). */
  events: AsyncIterable<LogEvent> & BatchedSource<LogEvent>;
  links: AsyncIterable<ChainLink> & BatchedSource<ChainLink>;
}

export async function readExport(path: string): Promise<ExportSource> {
  const header = await readHeader(path);
  const checkpoints: Checkpoint[] = [];
  const seen = new Set<string>();
  await grepLines(path, "checkpoint", (text) => {
    const parsed = parseLine(text);
    if (parsed.kind !== "checkpoint") return;
    checkpoints.push(parsed.checkpoint);
    seen.add(text);
  });
  const pump = new ExportPump(path, header.from, seen);
  return { header, from: header.from, prevHash: header.prevHash, checkpoints, events: pump.events, links: pump.links };
}

async function readHeader(path: string): Promise<ExportHeader> {
  const file = await open(path, "r").catch((err: unknown) => {
    throw new PlexusError(ErrorCode.InvalidArgument, `cannot read export ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  });
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    const end = buf.subarray(0, bytesRead).indexOf(0x0a);
    return parseHeader(buf.toString("utf8", 0, end < 0 ? bytesRead : end), path);
  } finally {
    await file.close();
  }
}

function parseHeader(text: string, path: string): ExportHeader {
  const bad = (why: string) =>
    new PlexusError(ErrorCode.InvalidArgument, `${path} is not a ${EXPORT_FORMAT} export: ${why}`);
  let v: Partial<ExportHeader>;
  try {
    v = JSON.parse(text) as Partial<ExportHeader>;
  } catch {
    throw bad("its first line is not a JSON header");
  }
  if (v?.type !== "header") throw bad("its first line is not a header");
  if (v.format !== EXPORT_FORMAT) throw bad(`its format is ${JSON.stringify(v.format)}`);
  if (!Number.isSafeInteger(v.from) || (v.from as number) < 1) throw bad('the header has no valid "from" position');
  if (v.from === 1) return { ...(v as ExportHeader), prevHash: GENESIS };
  if (!isHash(v.prevHash)) throw bad('the header has no valid "prevHash"');
  return v as ExportHeader;
}
