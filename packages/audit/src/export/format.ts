/**
 * The export format, `plexus-audit/1`: JSON Lines.
 *
 *   {"type":"header","format":"plexus-audit/1","mesh":"…","exportedAt":ms,"from":n,"prevHash":"h_{n-1}",…}
 *   {"type":"event","n":1,"subject":"…","storedAt":ms,"data":"<payload, base64>","event":"<eventHash>","hash":"<h_n>"}
 *   …
 *   {"type":"checkpoint","size":n,"head":"h_n","at":ms,"signer":"did:key:…","sig":"…","root":"<Merkle root hex>","note":"<checkpoint note>"}
 *
 * One event line per position, in order; a position whose event or link is absent from the store is written with only
 * the part that exists (no `data`, or no `event`/`hash`), so a verifier of the export sees the same fault. An export of
 * a range starts at `from` and carries `prevHash`, the stored hash of position from-1 (GENESIS when from is 1).
 */
import type { ChainLink, Checkpoint, LogEvent } from "../types.js";

export const EXPORT_FORMAT = "plexus-audit/1";

export interface ExportHeader {
  type: "header";
  format: typeof EXPORT_FORMAT;
  mesh: string;
  exportedAt: number;
  /** First position in the file. */
  from: number;
  /** Stored h_{from-1}: where verification of this file starts, on trust when from > 1. */
  prevHash: string;
  since?: number;
  until?: number;
  hash: { event: string; link: string };
}

export interface EventLine {
  type: "event";
  n: number;
  subject: string;
  storedAt: number;
  data?: string;
  event?: string;
  hash?: string;
}

export type CheckpointLine = { type: "checkpoint" } & Checkpoint;

export const HASH_DEFINITIONS = {
  event: "sha256(subject utf8 || 0x00 || payload), hex",
  link: "sha256(h[n-1] || uint64be(n) || event), hex; h[0] = 32 zero bytes",
} as const;

export function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/** One position as a line: the event's fields when it exists, the link's when it exists. */
export function eventLine(n: number, event: LogEvent | undefined, link: ChainLink | undefined): string {
  const line: EventLine = {
    type: "event",
    n,
    subject: event?.subject ?? link?.subject ?? "",
    storedAt: event?.storedAt ?? link?.storedAt ?? 0,
    ...(event ? { data: base64(event.data) } : {}),
    ...(link ? { event: link.event, hash: link.hash } : {}),
  };
  return JSON.stringify(line);
}

export function checkpointLine(cp: Checkpoint): string {
  const line: CheckpointLine = {
    type: "checkpoint",
    size: cp.size,
    head: cp.head,
    at: cp.at,
    signer: cp.signer,
    sig: cp.sig,
  };
  if (cp.root !== undefined) line.root = cp.root;
  if (cp.note !== undefined) line.note = cp.note;
  return JSON.stringify(line);
}

/** What one body line of an export holds. A line that does not parse as either is `unreadable` (evidence, not an error). */
export type ParsedLine =
  | { kind: "position"; event?: LogEvent; link?: ChainLink }
  | { kind: "checkpoint"; checkpoint: Checkpoint }
  | { kind: "header" }
  | { kind: "unreadable" };

export function parseLine(text: string): ParsedLine {
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { kind: "unreadable" };
    v = parsed as Record<string, unknown>;
  } catch {
    return { kind: "unreadable" };
  }
  if (v["type"] === "checkpoint") return { kind: "checkpoint", checkpoint: checkpointOf(v) };
  if (v["type"] === "header") return { kind: "header" };
  const { n, subject, storedAt, data, event, hash } = v;
  if (v["type"] !== "event" || !Number.isSafeInteger(n) || typeof subject !== "string" || typeof storedAt !== "number")
    return { kind: "unreadable" };
  const position = n as number;
  const out: { kind: "position"; event?: LogEvent; link?: ChainLink } = { kind: "position" };
  if (typeof data === "string") out.event = { n: position, subject, storedAt, data: Buffer.from(data, "base64") };
  if (typeof event === "string" && typeof hash === "string") out.link = { n: position, event, hash, subject, storedAt };
  return out.event || out.link ? out : { kind: "unreadable" };
}

function checkpointOf(v: Record<string, unknown>): Checkpoint {
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : "");
  const num = (k: string) => (typeof v[k] === "number" ? (v[k] as number) : Number.NaN);
  const cp: Checkpoint = {
    size: num("size"),
    head: str("head"),
    at: num("at"),
    signer: str("signer"),
    sig: str("sig"),
  };
  // The Merkle root and its checkpoint note (any present field is kept, as a string, so a wrong one is refused).
  if (v["root"] !== undefined) cp.root = typeof v["root"] === "string" ? v["root"] : JSON.stringify(v["root"]);
  if (v["note"] !== undefined) cp.note = typeof v["note"] === "string" ? v["note"] : JSON.stringify(v["note"]);
  return cp;
}
