/**
 * Checkpoints as C2SP signed notes: the format byte for byte, the key ID, signatures by pinned did:keys, and the same
 * note opened by @sigstore/verify's independent signed-note checkpoint parser and verifier (used for Rekor).
 */
import { createPublicKey } from "node:crypto";
import { generateKeyPair } from "@plexus/identity";
import { describe, expect, it } from "vitest";
import { LogCheckpoint, verifyCheckpoint as sigstoreVerifyCheckpoint } from "@sigstore/verify/dist/tlog/checkpoint.js";
import {
  checkpointBody,
  defaultOrigin,
  noteSigners,
  openCheckpointNote,
  parseCheckpointBody,
  signCheckpointNote,
} from "../src/note/checkpoint-note.js";
import { ed25519NoteSignature } from "../src/note/ed25519.js";
import { formatNote, noteKeyId, openNote, parseNote } from "../src/note/signed-note.js";

const key = generateKeyPair();
const other = generateKeyPair();
const root = new Uint8Array(32).map((_, i) => i);
const head = { origin: defaultOrigin("demo"), size: 1234, root };

function sigstoreOpens(note: string, pub: Uint8Array, name: string): { size: bigint; root: Buffer } | string {
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pub]);
  const keyId = Buffer.alloc(4);
  keyId.writeUInt32BE(noteKeyId(name, 1, pub));
  try {
    const entry = { inclusionProof: { checkpoint: { envelope: note } } };
    const tlogs = [
      {
        logID: keyId,
        baseURL: `https://${name}`,
        publicKey: createPublicKey({ key: spki, format: "der", type: "spki" }),
      },
    ];
    const cp = sigstoreVerifyCheckpoint(entry as never, tlogs as never);
    return { size: cp.logSize, root: cp.logHash };
  } catch (err) {
    return (err as Error).message;
  }
}

describe("checkpoint notes", () => {
  it("writes the tlog-checkpoint body and one Ed25519 signature line", () => {
    const note = signCheckpointNote(key, head);
    expect(checkpointBody(head)).toBe(`plexus.mesh/demo\n1234\n${Buffer.from(root).toString("base64")}\n`);
    const lines = note.split("\n");
    expect(lines.slice(0, 4)).toEqual(["plexus.mesh/demo", "1234", Buffer.from(root).toString("base64"), ""]);
    expect(lines[4]).toMatch(/^\u2014 plexus\.mesh\/demo [A-Za-z0-9+/]+=*$/u);
    const sig = Buffer.from(lines[4]!.split(" ")[2]!, "base64");
    expect(sig).toHaveLength(4 + 64);
    expect(sig.readUInt32BE(0)).toBe(noteKeyId("plexus.mesh/demo", 1, key.publicKey));
    expect(note.endsWith("\n")).toBe(true);
  });

  it("opens with the pinned signer, names it, and refuses other keys, other origins and any change", () => {
    const note = signCheckpointNote(key, head);
    const opened = openCheckpointNote(note, [key.did], "plexus.mesh/demo");
    expect(opened).toMatchObject({ ok: true, head: { origin: "plexus.mesh/demo", size: 1234 }, signers: [key.did] });
    expect(openCheckpointNote(note, [other.did])).toMatchObject({ ok: false, reason: "no_known_signature" });
    expect(openCheckpointNote(note, [key.did], "plexus.mesh/prod")).toMatchObject({ ok: false, reason: "origin" });
    expect(openCheckpointNote(note.replace("\n1234\n", "\n1235\n"), [key.did])).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
    expect(openCheckpointNote(note.replace("\n1234\n", "\n01234\n"), [key.did])).toMatchObject({
      ok: false,
      reason: "malformed",
    });
    expect(openCheckpointNote(note.replace("\n\n", "\n"), [key.did])).toMatchObject({ ok: false, reason: "malformed" });
    expect(openCheckpointNote("plexus.mesh/demo\n1\nAAAA\n\n\u2014 x AAAAAAA=\n", [key.did])).toMatchObject({
      ok: false,
      reason: "malformed",
    });
    expect(openCheckpointNote(note, ["not-a-did"])).toMatchObject({ ok: false, reason: "no_known_signature" });
    expect(noteSigners(note)).toEqual([
      {
        name: "plexus.mesh/demo",
        keyId: noteKeyId("plexus.mesh/demo", 1, key.publicKey).toString(16).padStart(8, "0"),
      },
    ]);
  });

  it("ignores unknown keys' signatures and rejects a note where a known key's signature fails", () => {
    const text = checkpointBody(head);
    const mine = ed25519NoteSignature(key, head.origin, text);
    const stranger = ed25519NoteSignature(other, "witness.example/w1", text);
    const both = formatNote({ text, signatures: [stranger, mine] });
    expect(openCheckpointNote(both, [key.did])).toMatchObject({ ok: true, signers: [key.did] });
    const forged = formatNote({
      text,
      signatures: [{ ...mine, sig: ed25519NoteSignature(other, head.origin, text).sig }],
    });
    expect(openCheckpointNote(forged, [key.did])).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(parseNote(both)).toMatchObject({ ok: true });
    expect(openNote(both, [])).toMatchObject({ ok: false, reason: "no_known_signature" });
  });

  it("is opened by @sigstore/verify's checkpoint verifier with the same size and root; a change is refused there too", () => {
    const note = signCheckpointNote(key, head);
    expect(sigstoreOpens(note, key.publicKey, head.origin)).toEqual({ size: 1234n, root: Buffer.from(root) });
    expect(sigstoreOpens(note, other.publicKey, head.origin)).toMatch(/signature/);
    expect(sigstoreOpens(note.replace("\n1234\n", "\n1235\n"), key.publicKey, head.origin)).toMatch(/signature/);
    expect(LogCheckpoint.fromString(checkpointBody(head)).origin).toBe("plexus.mesh/demo");
  });

  it("parses bodies strictly", () => {
    expect(parseCheckpointBody(checkpointBody(head))).toMatchObject({ size: 1234, extensions: [] });
    expect(parseCheckpointBody(`${checkpointBody(head)}ext line\n`)).toMatchObject({ extensions: ["ext line"] });
    expect(parseCheckpointBody("o\n-1\nAA==\n")).toBeUndefined();
    expect(parseCheckpointBody(checkpointBody(head).slice(0, -1))).toBeUndefined();
  });
});

describe("cosignatures (C2SP tlog-cosignature, type 0x04): the note design takes witnesses", () => {
  it("a witness's cosignature line is added to the registry's note and both verify in one pass; a wrong one rejects the note", async () => {
    const { cosignNote, cosignatureVerifier, cosignatureSignature } = await import("../src/note/cosignature.js");
    const { ed25519NoteVerifier } = await import("../src/note/ed25519.js");
    const witness = generateKeyPair();
    const note = cosignNote(signCheckpointNote(key, head), witness, "witness.example/w1", 1_700_000_000);
    const lines = note.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^\u2014 witness\.example\/w1 /u);
    const sig = Buffer.from(lines.at(-1)!.split(" ")[2]!, "base64");
    expect(sig).toHaveLength(4 + 8 + 64);
    expect(sig.readUInt32BE(0)).toBe(noteKeyId("witness.example/w1", 4, witness.publicKey));
    expect(sig.readBigUInt64BE(4)).toBe(1_700_000_000n);
    const times: number[] = [];
    const opened = openNote(note, [
      ed25519NoteVerifier(head.origin, key.did),
      cosignatureVerifier("witness.example/w1", witness.did, times),
    ]);
    expect(opened).toMatchObject({ ok: true });
    expect(opened.ok && opened.verified.map((v) => v.name)).toEqual([head.origin, "witness.example/w1"]);
    expect(times).toEqual([1_700_000_000]);
    // The log's signature alone still opens it (the cosignature is ignored by who does not know the witness), with
    // this code and with @sigstore/verify.
    expect(openCheckpointNote(note, [key.did])).toMatchObject({ ok: true });
    expect(sigstoreOpens(note, key.publicKey, head.origin)).toEqual({ size: 1234n, root: Buffer.from(root) });
    // A cosignature made over another body, under the witness's name and key ID: the whole note is rejected.
    const text = checkpointBody(head);
    const wrong = formatNote({
      text,
      signatures: [cosignatureSignature(witness, "witness.example/w1", checkpointBody({ ...head, size: 1 }), 5)],
    });
    expect(openNote(wrong, [cosignatureVerifier("witness.example/w1", witness.did)])).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
    // An Ed25519 (type 0x01) key ID is not a cosigner's: the line is ignored, not checked as a cosignature.
    expect(
      openNote(signCheckpointNote(witness, { ...head, origin: "witness.example/w1" }), [
        cosignatureVerifier("witness.example/w1", witness.did),
      ]),
    ).toMatchObject({ ok: false, reason: "no_known_signature" });
  });
});
