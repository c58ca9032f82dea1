/**
 * The witness library: it cosigns only a checkpoint signed by the pinned log key, for the same log, consistent with
 * the last one it cosigned; it refuses a rollback, a fork, a bad signature and another origin with a stable reason;
 * its state survives a round trip through its file (atomic, 0600). A fast-check property grows random trees: the
 * witness always cosigns the honest log and always refuses a rollback or a fork of it.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { leafHash } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { consistencyPath, rootAt } from "../src/merkle/tree.js";
import { defaultOrigin, signCheckpointNote } from "../src/note/checkpoint-note.js";
import { loadWitnessState, saveWitnessState, witnessStatePath } from "../src/witness/state-file.js";
import { newWitnessState, witnessCheckpoint, type WitnessState } from "../src/witness/witness.js";
import { witnessedCheckpoint } from "../src/witness/witnessed.js";

const logKey = generateKeyPair();
const witnessKey = generateKeyPair();
const origin = defaultOrigin("demo");

function treeOf(n: number, salt = ""): MemoryTree {
  const t = new MemoryTree();
  for (let i = 0; i < n; i++) t.push(leafHash(Buffer.from(`${salt}event ${i}`)));
  return t;
}

function note(t: MemoryTree, size: number, key: KeyPair = logKey, o = origin): string {
  return signCheckpointNote(key, { origin: o, size, root: rootAt(t, size) });
}

function fresh(): WitnessState {
  return newWitnessState({ name: "alice", did: witnessKey.did, origin, logKeys: [logKey.did] });
}

/** Witnesses size `size` of `t` from `state`, with the right proof. */
function step(state: WitnessState, t: MemoryTree, size: number) {
  return witnessCheckpoint(
    state,
    note(t, size),
    state.size > 0 && state.size <= size ? consistencyPath(t, state.size, size) : [],
    witnessKey,
    1_700_000_000,
  );
}

describe("witnessCheckpoint", () => {
  it("cosigns a first checkpoint and then a consistent larger one; the cosignature verifies", () => {
    const t = treeOf(100);
    const a = step(fresh(), t, 40);
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(a.state.size).toBe(40);
    const b = step(a.state, t, 100);
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.state.size).toBe(100);
    const w = witnessedCheckpoint(b.state);
    expect(w.ok && w.head.size).toBe(100);
    expect(w.ok && w.time).toBe(1_700_000_000);
    // the same size again (the same root) is fine and does not advance
    const c = step(b.state, t, 100);
    expect(c.ok && c.advanced).toBe(false);
  });

  it("refuses a rollback, a fork, a bad signature and another origin, and names them", () => {
    const t = treeOf(100);
    const s = (step(fresh(), t, 60) as { state: WitnessState }).state;
    expect(step(s, t, 59)).toMatchObject({ ok: false, reason: "rollback" });
    const forked = treeOf(100, "x");
    expect(step(s, forked, 60)).toMatchObject({ ok: false, reason: "fork" });
    expect(witnessCheckpoint(s, note(forked, 80), consistencyPath(forked, 60, 80), witnessKey, 1)).toMatchObject({
      ok: false,
      reason: "fork",
    });
    expect(
      witnessCheckpoint(s, note(t, 80, generateKeyPair()), consistencyPath(t, 60, 80), witnessKey, 1),
    ).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(
      witnessCheckpoint(s, note(t, 80, logKey, defaultOrigin("other")), consistencyPath(t, 60, 80), witnessKey, 1),
    ).toMatchObject({ ok: false, reason: "wrong_origin" });
    expect(witnessCheckpoint(s, "not a note", [], witnessKey, 1)).toMatchObject({ ok: false, reason: "bad_signature" });
    // a wrong (empty) proof for a larger size is a fork, never a cosignature
    expect(witnessCheckpoint(s, note(t, 80), [], witnessKey, 1)).toMatchObject({ ok: false, reason: "fork" });
  });

  it("a witnessed checkpoint whose cosignature or log signature does not verify is refused by the reader", () => {
    const t = treeOf(10);
    const s = (step(fresh(), t, 10) as { state: WitnessState }).state;
    expect(witnessedCheckpoint(s, { logKeys: [generateKeyPair().did] })).toMatchObject({
      ok: false,
      reason: "checkpoint_signature",
    });
    expect(witnessedCheckpoint({ ...s, did: generateKeyPair().did })).toMatchObject({
      ok: false,
      reason: "cosignature",
    });
    expect(witnessedCheckpoint({ ...s, size: 9 })).toMatchObject({ ok: false, reason: "cosignature" });
    expect(witnessedCheckpoint(fresh())).toMatchObject({ ok: false, reason: "no_checkpoint" });
  });

  it("property: on random growth it always cosigns; any rollback or fork is refused", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        (growth, back, forkAt) => {
          const total = growth.reduce((a, b) => a + b, 0) + 1;
          const t = treeOf(total);
          let state = fresh();
          let size = 0;
          for (const g of [1, ...growth]) {
            size += g;
            const r = step(state, t, size);
            if (!r.ok) return false;
            state = r.state;
          }
          // rollback: any smaller size of the same honest log
          if (size > 1 && step(state, t, (back % (size - 1)) + 1).ok) return false;
          // fork: a log that differs at some position < size, at this size or larger
          const at = forkAt % size;
          const f = new MemoryTree();
          for (let i = 0; i < total + 3; i++) f.push(leafHash(Buffer.from(i === at ? "forged" : `event ${i}`)));
          for (const n of [size, size + 3]) {
            const proof = consistencyPath(f, state.size, n);
            const r = witnessCheckpoint(state, note(f, n), proof, witnessKey, 1);
            if (r.ok || r.reason !== "fork") return false;
          }
          return true;
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("the state file", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("round-trips atomically with mode 0600 and leaves no temporary file; a folder names its state.json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "witness-"));
    dirs.push(dir);
    const file = await witnessStatePath(dir);
    expect(file).toBe(join(dir, "state.json"));
    expect(await loadWitnessState(file)).toBeUndefined();
    const s = (step(fresh(), treeOf(5), 5) as { state: WitnessState }).state;
    await saveWitnessState(file, s, dir);
    await saveWitnessState(file, s, dir);
    expect(await loadWitnessState(file)).toEqual(s);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
    await writeFile(file, "{}");
    await expect(loadWitnessState(file)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
