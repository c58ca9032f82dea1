/**
 * How links and checkpoints are stored: one compact JSON object each, the same fields as the wire types. Both backends
 * use these. A stored record that does not parse is not an I/O error but evidence: `decodeLink` turns it into a link
 * with empty hashes at its stored position, so a verifier names that position as altered instead of stopping.
 */
import { parseJson } from "@plexus/core";
import type { ChainLink, Checkpoint } from "../types.js";

const encoder = new TextEncoder();

export function linkRecord(link: ChainLink): {
  n: number;
  event: string;
  hash: string;
  subject: string;
  storedAt: number;
} {
  return { n: link.n, event: link.event, hash: link.hash, subject: link.subject, storedAt: link.storedAt };
}

/**
 * The stored form of a link: exactly the bytes of `JSON.stringify(linkRecord(link))` in UTF-8, written from a template
 * in one string and one Buffer write (the sealer encodes one per event; this is about 3x faster than building the
 * record object, stringifying it and running a TextEncoder). The strings go through JSON.stringify, so any escaping is
 * the same. A field that is not a string or a finite number (which JSON.stringify would drop or write as null) takes
 * the general path.
 */
export function encodeLink(link: ChainLink): Uint8Array {
  const { n, event, hash, subject, storedAt } = link;
  if (
    typeof n !== "number" ||
    typeof storedAt !== "number" ||
    !Number.isFinite(n) ||
    !Number.isFinite(storedAt) ||
    typeof event !== "string" ||
    typeof hash !== "string" ||
    typeof subject !== "string"
  ) {
    return encoder.encode(JSON.stringify(linkRecord(link)));
  }
  const json = `{"n":${n},"event":${JSON.stringify(event)},"hash":${JSON.stringify(hash)},"subject":${subjectJson(subject)},"storedAt":${storedAt}}`;
  return Buffer.from(json, "utf8");
}

let lastSubject = "";
let lastSubjectJson = '""';

/** JSON.stringify(subject), remembering the last one (consecutive events often share a subject). */
function subjectJson(subject: string): string {
  if (subject !== lastSubject) {
    lastSubjectJson = JSON.stringify(subject);
    lastSubject = subject;
  }
  return lastSubjectJson;
}

/** A link from its stored form; `position` is where the store holds it (used when the record is unreadable). */
export function decodeLink(data: Uint8Array | unknown, position: number): ChainLink {
  const v = parse(data);
  if (
    typeof v?.n === "number" &&
    typeof v.event === "string" &&
    typeof v.hash === "string" &&
    typeof v.subject === "string" &&
    typeof v.storedAt === "number"
  ) {
    return { n: v.n, event: v.event, hash: v.hash, subject: v.subject, storedAt: v.storedAt };
  }
  return { n: position, event: "", hash: "", subject: "", storedAt: 0 };
}

export function checkpointRecord(cp: Checkpoint): {
  size: number;
  head: string;
  at: number;
  signer: string;
  sig: string;
  root?: string;
  note?: string;
} {
  return {
    size: cp.size,
    head: cp.head,
    at: cp.at,
    signer: cp.signer,
    sig: cp.sig,
    ...(cp.root !== undefined ? { root: cp.root } : {}),
    ...(cp.note !== undefined ? { note: cp.note } : {}),
  };
}

export function encodeCheckpoint(cp: Checkpoint): Uint8Array {
  return encoder.encode(JSON.stringify(checkpointRecord(cp)));
}

/** A checkpoint from its stored form; an unreadable record becomes an unsigned checkpoint, which never verifies. */
export function decodeCheckpoint(data: Uint8Array | unknown): Checkpoint {
  const v = parse(data);
  if (
    typeof v?.size === "number" &&
    typeof v.head === "string" &&
    typeof v.at === "number" &&
    typeof v.signer === "string" &&
    typeof v.sig === "string"
  ) {
    const cp: Checkpoint = { size: v.size, head: v.head, at: v.at, signer: v.signer, sig: v.sig };
    // A tree field of the wrong type is kept as given (as a string), so the verifier refuses it instead of not seeing it.
    if (v.root !== undefined) cp.root = typeof v.root === "string" ? v.root : JSON.stringify(v.root);
    if (v.note !== undefined) cp.note = typeof v.note === "string" ? v.note : JSON.stringify(v.note);
    return cp;
  }
  return { size: 0, head: "", at: 0, signer: "", sig: "" };
}

function parse(data: Uint8Array | unknown): Record<string, unknown> | undefined {
  let v: unknown = data;
  if (data instanceof Uint8Array) {
    const read = parseJson(data);
    if (!read.ok) return undefined;
    v = read.value;
  }
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
