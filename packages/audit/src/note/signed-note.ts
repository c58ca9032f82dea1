/**
 * C2SP signed notes (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, then one or more lines
 * `— <key name> <base64(4-byte key ID ‖ signature)>`. This file is only the envelope: parsing, formatting, key IDs,
 * and checking a note against verifiers for known keys. What the signatures mean is each verifier's: the log's own
 * Ed25519 signature (type 0x01, ed25519.ts) now, a witness cosignature (type 0x04, c2sp.org/tlog-cosignature) next,
 * as another `NoteVerifier` over the same parsed note.
 *
 * As the spec says: signatures by unknown keys (name and ID not both matching) are ignored; a known key's signature
 * that fails rejects the whole note; a note with no verified signature is rejected.
 */
import { createHash } from "node:crypto";

/** A signed note may carry at most this many signature lines (the spec asks for at least 16). */
export const MAX_NOTE_SIGNATURES = 64;
/** Notes larger than this are refused before parsing. */
export const MAX_NOTE_BYTES = 64 * 1024;

const EM_DASH = "\u2014";

export interface NoteSignature {
  name: string;
  /** The key ID, big-endian, as an unsigned 32-bit number. */
  keyId: number;
  /** The signature bytes after the key ID. */
  sig: Uint8Array;
}

export interface SignedNote {
  /** The note text, including its final newline (what signatures cover). */
  text: string;
  signatures: NoteSignature[];
}

/** Something that can check signatures by one known key. */
export interface NoteVerifier {
  name: string;
  keyId: number;
  /** True when `sig` is this key's signature over the note text. */
  verify(text: string, sig: Uint8Array): boolean;
}

/** SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4], big-endian. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  return createHash("sha256")
    .update(name, "utf8")
    .update(Buffer.from([0x0a, type]))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/** Key names: non-empty, no Unicode spaces, no "+". */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControl(name);
}

function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this finds control characters
  return /[\u0000-\u0009\u000b-\u001f]/.test(s);
}

/** The note with one signature line per signature. */
export function formatNote(note: SignedNote): string {
  const lines = note.signatures.map((s) => {
    const bytes = Buffer.alloc(4 + s.sig.length);
    bytes.writeUInt32BE(s.keyId >>> 0, 0);
    bytes.set(s.sig, 4);
    return `${EM_DASH} ${s.name} ${bytes.toString("base64")}\n`;
  });
  return `${note.text}\n${lines.join("")}`;
}

export type ParseResult = { ok: true; note: SignedNote } | { ok: false; reason: string };

/** Parses a signed note; `reason` says what is malformed. */
export function parseNote(input: string): ParseResult {
  if (typeof input !== "string") return { ok: false, reason: "not a string" };
  if (Buffer.byteLength(input, "utf8") > MAX_NOTE_BYTES)
    return { ok: false, reason: `larger than ${MAX_NOTE_BYTES} bytes` };
  if (hasControl(input) || input.includes("\uFFFD"))
    return { ok: false, reason: "control characters or invalid UTF-8" };
  const split = input.lastIndexOf("\n\n");
  if (split < 0 || !input.endsWith("\n"))
    return { ok: false, reason: "no blank line before the signatures, or no final newline" };
  const text = input.slice(0, split + 1);
  const lines = input.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) return { ok: false, reason: `more than ${MAX_NOTE_SIGNATURES} signatures` };
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m || !isKeyName(m[1]!))
      return { ok: false, reason: `malformed signature line ${JSON.stringify(line.slice(0, 80))}` };
    const bytes = Buffer.from(m[2]!, "base64");
    if (bytes.length < 5 || bytes.toString("base64") !== m[2])
      return { ok: false, reason: "malformed signature encoding" };
    signatures.push({ name: m[1]!, keyId: bytes.readUInt32BE(0), sig: bytes.subarray(4) });
  }
  return { ok: true, note: { text, signatures } };
}

export type OpenResult =
  | { ok: true; text: string; verified: NoteVerifier[] }
  | { ok: false; reason: "malformed" | "bad_signature" | "no_known_signature"; detail: string };

/**
 * Checks a note against the verifiers of the keys one trusts: ok with the note text and the keys whose signatures
 * verified, else why not.
 */
export function openNote(input: string | SignedNote, verifiers: readonly NoteVerifier[]): OpenResult {
  let note: SignedNote;
  if (typeof input === "string") {
    const parsed = parseNote(input);
    if (!parsed.ok) return { ok: false, reason: "malformed", detail: parsed.reason };
    note = parsed.note;
  } else note = input;
  const verified: NoteVerifier[] = [];
  for (const sig of note.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!v) continue;
    if (!v.verify(note.text, sig.sig))
      return { ok: false, reason: "bad_signature", detail: `the signature of ${sig.name} does not verify` };
    if (!verified.includes(v)) verified.push(v);
  }
  if (verified.length === 0) return { ok: false, reason: "no_known_signature", detail: "no signature by a known key" };
  return { ok: true, text: note.text, verified };
}
