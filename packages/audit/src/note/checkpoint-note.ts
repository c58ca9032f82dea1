/**
 * C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) for a mesh's audit log, signed as a signed note:
 *
 *   <origin>\n<tree size, decimal>\n<root hash, base64>\n
 *
 * The origin names the log: `plexus.mesh/<mesh>` by default (a schema-less URL-like name, unique per mesh; a
 * deployment may set its own, e.g. its domain and the mesh). The log's key name is the origin, as the spec
 * recommends, so a witness or a client configured with (origin, registry did:key) can check it. No extension lines
 * are written (witnesses may refuse them); parsing accepts and returns them.
 */
import type { KeyPair } from "@plexus/identity";
import { HASH_SIZE } from "../merkle/hash.js";
import { ed25519NoteSignature, ed25519NoteVerifier } from "./ed25519.js";
import { formatNote, openNote, parseNote, type NoteVerifier } from "./signed-note.js";

export interface TreeHead {
  origin: string;
  size: number;
  root: Uint8Array;
}

export function defaultOrigin(mesh: string): string {
  return `plexus.mesh/${mesh}`;
}

export function checkpointBody(head: TreeHead): string {
  return `${head.origin}\n${head.size}\n${Buffer.from(head.root).toString("base64")}\n`;
}

/** The body parsed, or undefined when it is not a checkpoint. */
export function parseCheckpointBody(text: string): (TreeHead & { extensions: string[] }) | undefined {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") return undefined;
  const [origin, size, root, ...rest] = lines.slice(0, -1);
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(size ?? "")) return undefined;
  const n = Number(size);
  const bytes = Buffer.from(root ?? "", "base64");
  if (!Number.isSafeInteger(n) || bytes.length !== HASH_SIZE || bytes.toString("base64") !== root) return undefined;
  return { origin, size: n, root: new Uint8Array(bytes), extensions: rest };
}

/** The checkpoint as a signed note, signed by `key` under the key name `origin`. */
export function signCheckpointNote(key: KeyPair, head: TreeHead): string {
  const text = checkpointBody(head);
  return formatNote({ text, signatures: [ed25519NoteSignature(key, head.origin, text)] });
}

export type CheckpointNoteResult =
  | { ok: true; head: TreeHead; signers: string[] }
  | { ok: false; reason: "malformed" | "bad_signature" | "no_known_signature" | "origin"; detail: string };

/**
 * Opens a checkpoint note signed by one of `signers` (did:keys) under its own origin as key name. With
 * `origin`, the note must be for that log.
 */
export function openCheckpointNote(note: string, signers: readonly string[], origin?: string): CheckpointNoteResult {
  const parsed = parseNote(note);
  if (!parsed.ok) return { ok: false, reason: "malformed", detail: parsed.reason };
  const head = parseCheckpointBody(parsed.note.text);
  if (!head)
    return { ok: false, reason: "malformed", detail: "the note is not a checkpoint (origin, size, base64 root)" };
  if (origin !== undefined && head.origin !== origin)
    return { ok: false, reason: "origin", detail: `the checkpoint is for ${head.origin}, not ${origin}` };
  const verifiers: (NoteVerifier & { did: string })[] = [];
  for (const did of signers) {
    try {
      verifiers.push(ed25519NoteVerifier(head.origin, did));
    } catch {
      // not a did:key: it can sign nothing here
    }
  }
  const opened = openNote(parsed.note, verifiers);
  if (!opened.ok) return opened;
  return {
    ok: true,
    head: { origin: head.origin, size: head.size, root: head.root },
    signers: opened.verified.map((v) => (v as NoteVerifier & { did: string }).did),
  };
}

/** The signature lines' key names and IDs, for saying who signed a note when no signer is pinned. */
export function noteSigners(note: string): { name: string; keyId: string }[] {
  const parsed = parseNote(note);
  return parsed.ok
    ? parsed.note.signatures.map((s) => ({ name: s.name, keyId: s.keyId.toString(16).padStart(8, "0") }))
    : [];
}
