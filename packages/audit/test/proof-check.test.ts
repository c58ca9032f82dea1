/**
 * checkProof binds what it checks: the signer (pinned or not, said in the result), the log (origin), and the event
 * (a subject with NUL or a lone surrogate is refused: the leaf input subject ‖ 0x00 ‖ payload would read as another
 * event). Proofs are built in memory (MemoryTree, signed notes); no server.
 */
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventLeafHash, leafHash, leafInput } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { consistencyPath, inclusionPath, rootAt } from "../src/merkle/tree.js";
import { defaultOrigin, signCheckpointNote } from "../src/note/checkpoint-note.js";
import { ambiguousSubject, checkProof } from "../src/proof/check.js";
import {
  CONSISTENCY_FORMAT,
  INCLUSION_FORMAT,
  type ConsistencyProofFile,
  type InclusionProofFile,
} from "../src/proof/format.js";

type Event = { subject: string; data: Uint8Array };
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function inclusion(
  key: KeyPair,
  mesh: string,
  events: Event[],
  position: number,
  origin = defaultOrigin(mesh),
): InclusionProofFile {
  const tree = new MemoryTree(events.map((e) => eventLeafHash(e.subject, e.data)));
  const e = events[position - 1]!;
  return {
    format: INCLUSION_FORMAT,
    mesh,
    signer: key.did,
    checkpoint: signCheckpointNote(key, { origin, size: tree.size, root: rootAt(tree, tree.size) }),
    position,
    index: position - 1,
    size: tree.size,
    subject: e.subject,
    data: b64(e.data),
    storedAt: 0,
    hashes: inclusionPath(tree, position - 1, tree.size).map(b64),
  };
}

function consistency(key: KeyPair, mesh: string, events: Event[], m: number): ConsistencyProofFile {
  const tree = new MemoryTree(events.map((e) => eventLeafHash(e.subject, e.data)));
  const origin = defaultOrigin(mesh);
  return {
    format: CONSISTENCY_FORMAT,
    mesh,
    signer: key.did,
    from: signCheckpointNote(key, { origin, size: m, root: rootAt(tree, m) }),
    to: signCheckpointNote(key, { origin, size: tree.size, root: rootAt(tree, tree.size) }),
    hashes: consistencyPath(tree, m, tree.size).map(b64),
  };
}

const log = (n: number, mesh = "m"): Event[] =>
  Array.from({ length: n }, (_, i) => ({
    subject: `plexus.${mesh}.acp.topic.t.${i % 3}`,
    data: Buffer.from(`{"i":${i}}`),
  }));
const key = generateKeyPair();

describe("checkProof: pinned signer and origin", () => {
  it("says whether the signer and the origin were pinned; another key or another mesh's log fails", () => {
    const events = log(9);
    const file = inclusion(key, "m", events, 4);
    expect(checkProof(file, { signers: [key.did], origin: defaultOrigin("m") })).toMatchObject({
      ok: true,
      pinned: true,
      origin: "plexus.mesh/m",
      originPinned: true,
      position: 4,
    });
    expect(checkProof(file)).toMatchObject({
      ok: true,
      pinned: false,
      originPinned: false,
      origin: "plexus.mesh/m",
      signers: [key.did],
    });
    expect(checkProof(file, { signers: [generateKeyPair().did] })).toMatchObject({
      ok: false,
      reason: "checkpoint_signature",
    });
    // A real checkpoint of mesh "other", signed by the same registry key, is not a proof about mesh "m".
    const other = inclusion(key, "other", log(9, "other"), 4);
    expect(checkProof(other, { signers: [key.did], origin: defaultOrigin("m") })).toMatchObject({
      ok: false,
      reason: "origin",
    });
    expect(checkProof(other, { signers: [key.did], origin: defaultOrigin("other") })).toMatchObject({
      ok: true,
      pinned: true,
    });
    // The file's `mesh` field is not signed: naming "m" there does not make the checkpoint one of m's.
    expect(checkProof({ ...other, mesh: "m" }, { signers: [key.did], origin: defaultOrigin("m") })).toMatchObject({
      ok: false,
      reason: "origin",
    });
  });

  it("consistency proofs: both checkpoints must be of the required log", () => {
    const events = log(20);
    const file = consistency(key, "m", events, 7);
    expect(checkProof(file, { signers: [key.did], origin: "plexus.mesh/m" })).toMatchObject({
      ok: true,
      kind: "consistency",
      pinned: true,
      originPinned: true,
      fromSize: 7,
      size: 20,
    });
    expect(checkProof(file, { signers: [key.did], origin: "plexus.mesh/n" })).toMatchObject({
      ok: false,
      reason: "origin",
    });
    const mixed = { ...file, from: consistency(key, "n", events, 7).from };
    expect(checkProof(mixed, { signers: [key.did] })).toMatchObject({ ok: false, reason: "origin" });
  });
});

describe("checkProof: the event's leaf is read one way only", () => {
  it("a subject with NUL is refused: subject a\\0b with payload P has the leaf of subject a with payload b\\0P", () => {
    const real: Event = { subject: "plexus.m.x\u0000y", data: Buffer.from("P") };
    const reread: Event = { subject: "plexus.m.x", data: Buffer.from("y\u0000P") };
    expect(leafHash(leafInput(real.subject, real.data))).toEqual(leafHash(leafInput(reread.subject, reread.data)));
    const events = [...log(4), real, ...log(3)];
    const file = inclusion(key, "m", events, 5);
    expect(checkProof(file, { signers: [key.did], origin: "plexus.mesh/m" })).toMatchObject({
      ok: false,
      reason: "ambiguous_subject",
    });
    // The one reading left: the subject is the bytes before the first NUL.
    expect(
      checkProof(
        { ...file, subject: reread.subject, data: b64(reread.data) },
        { signers: [key.did], origin: "plexus.mesh/m" },
      ),
    ).toMatchObject({ ok: true });
  });

  it("a lone surrogate is refused (UTF-8 encodes it as U+FFFD, like another subject)", () => {
    expect(ambiguousSubject("plexus.m.\uD800")).toBeDefined();
    expect(ambiguousSubject("plexus.m.\uFFFD")).toBeUndefined();
    const events = [{ subject: "plexus.m.\uFFFD", data: Buffer.from("x") }];
    const file = inclusion(key, "m", events, 1);
    expect(checkProof(file, { signers: [key.did] })).toMatchObject({ ok: true });
    expect(checkProof({ ...file, subject: "plexus.m.\uD800" }, { signers: [key.did] })).toMatchObject({
      ok: false,
      reason: "ambiguous_subject",
    });
  });

  it("property: no two accepted (subject, payload) claims share a leaf input, and every NUL-free subject is accepted", () => {
    const claim = fc.record({
      subject: fc.string({ unit: fc.constantFrom("a", ".", "\u0000", "é", "\uD800"), maxLength: 6 }),
      data: fc.uint8Array({ maxLength: 6 }).map((d) => Buffer.from(d.map((x) => x % 3))),
    });
    fc.assert(
      fc.property(claim, claim, (x, y) => {
        const accepted = (c: Event) => ambiguousSubject(c.subject) === undefined;
        const wellFormed = Buffer.from(x.subject, "utf8").toString("utf8") === x.subject;
        expect(accepted(x)).toBe(!x.subject.includes("\u0000") && wellFormed);
        if (!accepted(x) || !accepted(y)) return;
        const same = Buffer.from(leafInput(x.subject, x.data)).equals(Buffer.from(leafInput(y.subject, y.data)));
        expect(same).toBe(x.subject === y.subject && Buffer.from(x.data).equals(Buffer.from(y.data)));
      }),
      { numRuns: 2_000 },
    );
  });
});
