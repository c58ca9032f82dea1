/**
 * The Merkle tree on a real nats-server: the sealer keeps it next to the chain (roots and checkpoint notes in the
 * checkpoints, tiles in their stream), the verifier recomputes it, proofs of random positions made from the live
 * stores check offline here and with @sigstore/verify's independent RFC 6962 verifier; tampering fails with a reason.
 */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { verifyMerkleInclusion } from "@sigstore/verify/dist/tlog/merkle.js";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { useTestServer } from "@plexus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventLeafHash, leafInput } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { rootAt } from "../src/merkle/tree.js";
import { openCheckpointNote, signCheckpointNote } from "../src/note/checkpoint-note.js";
import { checkProof } from "../src/proof/check.js";
import { newestRootedCheckpoint, proveConsistency, proveInclusion } from "../src/proof/create.js";
import type { InclusionProofFile } from "../src/proof/format.js";
import { checkpointNoteHolds, signCheckpoint } from "../src/sealer/checkpoint.js";
import { startSealer } from "../src/sealer/sealer.js";
import { TreeKeeper } from "../src/sealer/tree-keeper.js";
import { openJetStreamAuditStore, type JetStreamAuditStore } from "../src/store/jetstream-store.js";
import { readMeshLog } from "../src/store/mesh-log.js";
import { tileStreamNames } from "../src/store/jetstream-tiles.js";
import type { AuditStore } from "../src/types.js";
import { readExport } from "../src/export/reader.js";
import { exportStore, verifyStore } from "../src/verify/live.js";
import { verifyChain } from "../src/verify/verifier.js";
import { collect, freshMesh } from "./helpers.js";
import { publishEvents } from "./sealing.js";

const nats = useTestServer();
let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectBus({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
});

async function seal(mesh: string, key: KeyPair, store: AuditStore, every = 100): Promise<void> {
  const sealer = await startSealer({ nc, mesh, store, key, checkpointEvery: every, checkpointIntervalMs: 60_000 });
  try {
    await sealer.caughtUp();
  } finally {
    await sealer.stop();
  }
}

async function logTree(mesh: string): Promise<{ tree: MemoryTree; events: { subject: string; data: Uint8Array }[] }> {
  const tree = new MemoryTree();
  const events: { subject: string; data: Uint8Array }[] = [];
  for await (const e of readMeshLog(nc, mesh, 1)) {
    tree.push(eventLeafHash(e.subject, e.data));
    events.push(e);
  }
  return { tree, events };
}

function sigstoreAccepts(file: InclusionProofFile): boolean {
  const opened = openCheckpointNote(file.checkpoint, [file.signer]);
  if (!opened.ok) return false;
  try {
    const entry = {
      canonicalizedBody: Buffer.from(leafInput(file.subject, Buffer.from(file.data, "base64"))),
      inclusionProof: { logIndex: String(file.index), hashes: file.hashes.map((h) => Buffer.from(h, "base64")) },
    };
    verifyMerkleInclusion(
      entry as never,
      { logSize: BigInt(opened.head.size), logHash: Buffer.from(opened.head.root) } as never,
    );
    return true;
  } catch {
    return false;
  }
}

describe("the audit Merkle tree, live", () => {
  const key = generateKeyPair();
  const mesh = freshMesh("tree");
  let store: JetStreamAuditStore;

  beforeAll(async () => {
    await ensureMeshStream(nc, mesh);
    store = await openJetStreamAuditStore({ nc, mesh });
    await publishEvents(nc, mesh, 1_300);
    await seal(mesh, key, store);
  });

  it("signs each checkpoint's Merkle root as a checkpoint note, stores full tiles, and verify recomputes the roots", async () => {
    const cps = await collect(store.checkpoints());
    // One checkpoint is written at a time: a burst sealed faster than that gets fewer than one per 100 links.
    expect(cps.length).toBeGreaterThanOrEqual(2);
    for (const cp of cps) {
      expect(cp.root).toMatch(/^[0-9a-f]{64}$/);
      expect(checkpointNoteHolds(cp)).toBe(true);
    }
    const { tree } = await logTree(mesh);
    const newest = await newestRootedCheckpoint(store);
    expect(newest?.size).toBe(1_300);
    expect(newest?.root).toBe(Buffer.from(rootAt(tree, 1_300)).toString("hex"));
    expect(openCheckpointNote(newest!.note, [key.did], `plexus.mesh/${mesh}`)).toMatchObject({
      ok: true,
      head: { size: 1_300 },
    });
    const tile = await store.tiles.readTile(0, 3, 256);
    expect(tile.map((h) => Buffer.from(h).toString("hex"))).toEqual(
      Array.from({ length: 256 }, (_, i) => Buffer.from(tree.node(0, 768 + i)).toString("hex")),
    );
    const report = await verifyStore({ nc, mesh, store, trustedSigners: [key.did] });
    expect(report).toMatchObject({ ok: true, verified: 1_300 });
    expect(report.checkpoints.roots).toBe(report.checkpoints.checked);
    expect(report.checkpoints.roots).toBeGreaterThanOrEqual(2);
  });

  it("proves random positions; the proofs check offline and with @sigstore/verify; a changed event or another signer fails", async () => {
    for (let i = 0; i < 25; i++) {
      const position = 1 + Math.floor(Math.random() * 1_300);
      const file = await proveInclusion({ nc, mesh, store, position });
      expect(file).toMatchObject({ position, index: position - 1, size: 1_300, signer: key.did });
      expect(checkProof(JSON.parse(JSON.stringify(file)), { signers: [key.did] })).toMatchObject({
        ok: true,
        kind: "inclusion",
        pinned: true,
        position,
        size: 1_300,
      });
      expect(sigstoreAccepts(file)).toBe(true);
      const altered = {
        ...file,
        data: Buffer.from(`${Buffer.from(file.data, "base64").toString()} `).toString("base64"),
      };
      expect(checkProof(altered, { signers: [key.did] })).toMatchObject({ ok: false, reason: "inclusion" });
      expect(sigstoreAccepts(altered)).toBe(false);
      const moved = { ...file, position: (position % 1_300) + 1, index: position % 1_300 };
      expect(checkProof(moved, { signers: [key.did] })).toMatchObject({ ok: false, reason: "inclusion" });
    }
    const file = await proveInclusion({ nc, mesh, store, position: 7 });
    expect(checkProof(file, { signers: [generateKeyPair().did] })).toMatchObject({
      ok: false,
      reason: "checkpoint_signature",
    });
    expect(checkProof(file)).toMatchObject({ ok: true, pinned: false, signers: [key.did] });
    expect(checkProof({ ...file, hashes: file.hashes.slice(1) }, { signers: [key.did] })).toMatchObject({
      ok: false,
      reason: "inclusion",
    });
    expect(checkProof({ format: "x" })).toMatchObject({ ok: false, reason: "malformed" });
    await expect(proveInclusion({ nc, mesh, store, position: 1_301 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("proves an older checkpoint consistent with the newest; a checkpoint of another history is not", async () => {
    const cps = await collect(store.checkpoints());
    expect(cps.length).toBeGreaterThanOrEqual(2);
    for (const old of [cps[0]!, cps[1]!, cps[cps.length - 1]!]) {
      const file = await proveConsistency({ nc, mesh, store, from: old.note! });
      expect(checkProof(file, { signers: [key.did] })).toMatchObject({
        ok: true,
        kind: "consistency",
        fromSize: old.size,
        size: 1_300,
      });
    }
    // The same key signing another tree of size 500 (a rewritten history): no consistency proof leads from it.
    const forged = signCheckpointNote(key, {
      origin: `plexus.mesh/${mesh}`,
      size: 500,
      root: new Uint8Array(32).fill(7),
    });
    const file = await proveConsistency({ nc, mesh, store, from: forged });
    expect(checkProof(file, { signers: [key.did] })).toMatchObject({ ok: false, reason: "consistency" });
    const real = await proveConsistency({ nc, mesh, store, from: cps[0]!.note! });
    expect(checkProof({ ...real, from: forged }, { signers: [key.did] })).toMatchObject({
      ok: false,
      reason: "consistency",
    });
  });

  it("an export carries the roots and notes, and verifying the file recomputes the tree", async () => {
    const file = join(tmpdir(), `plexus-tree-${process.pid}.jsonl`);
    try {
      const out = createWriteStream(file);
      await exportStore({ nc, mesh, store, out });
      out.end();
      await finished(out);
      const report = await verifyChain({ ...(await readExport(file)), trustedSigners: [key.did] });
      expect(report).toMatchObject({ ok: true });
      expect(report.checkpoints.roots).toBeGreaterThanOrEqual(2);
      expect(report.checkpoints.roots).toBe(report.checkpoints.checked);
    } finally {
      await rm(file, { force: true });
    }
  });

  it("proves from a replay of the log when the store has no tiles, with the same result", async () => {
    const noTiles: AuditStore = {
      backend: "test",
      head: () => store.head(),
      append: (l, e) => store.append(l, e),
      links: (f, t) => store.links(f, t),
      link: (n) => store.link(n),
      appendCheckpoint: (c) => store.appendCheckpoint(c),
      checkpoints: () => store.checkpoints(),
      close: async () => {},
      [Symbol.asyncDispose]: async () => {},
    };
    const a = await proveInclusion({ nc, mesh, store, position: 1_000 });
    const b = await proveInclusion({ nc, mesh, store: noTiles, position: 1_000 });
    expect(b.hashes).toEqual(a.hashes);
  });

  it("a restarted sealer resumes the tree from the stored tiles and its roots still match the log", async () => {
    expect((await TreeKeeper.open(nc, mesh, store, 1_300, key.did)).resumedBy).toBe("tiles");
    await publishEvents(nc, mesh, 333);
    await seal(mesh, key, store, 50);
    const { tree } = await logTree(mesh);
    const newest = await newestRootedCheckpoint(store);
    expect(newest).toMatchObject({ size: 1_633, root: Buffer.from(rootAt(tree, 1_633)).toString("hex") });
    expect(await verifyStore({ nc, mesh, store, trustedSigners: [key.did] })).toMatchObject({
      ok: true,
      verified: 1_633,
    });
  });

  it("verify names a checkpoint whose signed root is not the log's tree, and a note signed by another key", async () => {
    const m = freshMesh("treebad");
    await ensureMeshStream(nc, m);
    const s = await openJetStreamAuditStore({ nc, mesh: m });
    await publishEvents(nc, m, 40);
    await seal(m, key, s, 10);
    const head = await s.head();
    // Validly signed (JSON and note) by the trusted key, over the right chain head, with another root.
    await s.appendCheckpoint(
      signCheckpoint(
        key,
        { size: head.size, head: head.hash, at: Date.now() },
        { origin: `plexus.mesh/${m}`, root: new Uint8Array(32) },
      ),
    );
    expect(await verifyStore({ nc, mesh: m, store: s, trustedSigners: [key.did] })).toMatchObject({
      ok: false,
      kind: "checkpoint_mismatch",
      position: 40,
    });

    const m2 = freshMesh("treebad");
    await ensureMeshStream(nc, m2);
    const s2 = await openJetStreamAuditStore({ nc, mesh: m2 });
    await publishEvents(nc, m2, 20);
    await seal(m2, key, s2, 10);
    const cp = (await collect(s2.checkpoints()))[0]!;
    const other = generateKeyPair();
    const { tree } = await logTree(m2);
    const swapped = {
      ...cp,
      size: 20,
      head: (await s2.head()).hash,
      note: signCheckpointNote(other, { origin: `plexus.mesh/${m2}`, size: 20, root: rootAt(tree, 20) }),
    };
    await jetstream(nc).publish(s2.names.checkpointSubject, JSON.stringify(swapped));
    expect(await verifyStore({ nc, mesh: m2, store: s2, trustedSigners: [key.did] })).toMatchObject({
      ok: false,
      kind: "checkpoint_signature",
    });
  });
});

describe("tiles that disagree with the sealer's own checkpoint", () => {
  it("are not believed: the tree is replayed from the log", async () => {
    const key = generateKeyPair();
    const m = freshMesh("treetile");
    await ensureMeshStream(nc, m);
    const s = await openJetStreamAuditStore({ nc, mesh: m });
    await publishEvents(nc, m, 300);
    await seal(m, key, s, 1_000);
    expect((await TreeKeeper.open(nc, m, s, 300, key.did)).resumedBy).toBe("tiles");
    // Someone with publish rights replaces the level-0 partial tile (tile 1, 44 hashes) with garbage.
    await s.tiles.writeTiles({
      full: [],
      partial: [{ level: 0, index: 1, hashes: Array.from({ length: 44 }, () => new Uint8Array(32).fill(9)) }],
    });
    const fresh = await openJetStreamAuditStore({ nc, mesh: m }); // no cached tiles
    expect((await TreeKeeper.open(nc, m, fresh, 300, key.did)).resumedBy).toBe("replay");
    await publishEvents(nc, m, 20);
    await seal(m, key, fresh, 1_000);
    expect(await verifyStore({ nc, mesh: m, store: fresh, trustedSigners: [key.did] })).toMatchObject({
      ok: true,
      verified: 320,
    });
  });
});

describe("tiles and checkpoints written by someone holding the service credentials", () => {
  it("a forged tile is believed neither by a sealer resuming without its own checkpoint at the head nor by prove", async () => {
    const key = generateKeyPair();
    const m = freshMesh("treeforge");
    await ensureMeshStream(nc, m);
    const s = await openJetStreamAuditStore({ nc, mesh: m });
    await publishEvents(nc, m, 300);
    await seal(m, key, s, 100); // checkpoints at 100, 200, 300
    // The head moves on without a checkpoint at it (a sealer killed before signing): 310 links, newest checkpoint 300.
    await publishEvents(nc, m, 10);
    const crashed = await startSealer({
      nc,
      mesh: m,
      store: s,
      key,
      checkpointEvery: 1_000_000,
      checkpointIntervalMs: 3_600_000,
    });
    await crashed.caughtUp();
    // (no stop(): stop() would sign the head)
    const { tree, events } = await logTree(m);
    // The attacker replaces level-0 tile 0 (positions 1-256, full) with one leaf of a made-up event.
    const forged = Array.from({ length: 256 }, (_, i) => tree.node(0, i));
    forged[7] = eventLeafHash("plexus.fake.subject", new TextEncoder().encode("made up"));
    await jetstream(nc).publish(`${tileStreamNames(m).prefix}.0.0`, Buffer.concat(forged.map((h) => Buffer.from(h))));
    const fresh = await openJetStreamAuditStore({ nc, mesh: m });
    expect((await TreeKeeper.open(nc, m, fresh, 310, key.did)).resumedBy).toBe("replay");
    // Proofs made from the tiles are checked before they are handed out: position 8 still proves the real event.
    const proof = await proveInclusion({ nc, mesh: m, store: fresh, position: 8 });
    expect(checkProof(proof, { signers: [key.did] })).toMatchObject({ ok: true });
    expect(Buffer.from(proof.data, "base64")).toEqual(Buffer.from(events[7]!.data));
    await crashed.stop();
  });

  it("prove --signer uses only checkpoints that key signed (a larger one appended by another key is ignored)", async () => {
    const key = generateKeyPair();
    const m = freshMesh("treesigner");
    await ensureMeshStream(nc, m);
    const s = await openJetStreamAuditStore({ nc, mesh: m });
    await publishEvents(nc, m, 50);
    await seal(m, key, s, 50);
    const intruder = generateKeyPair();
    const root = new Uint8Array(32).fill(7);
    const head = { origin: `plexus.mesh/${m}`, size: 1_000_000, root };
    await s.appendCheckpoint({
      ...signCheckpoint(intruder, { size: 1_000_000, head: "0".repeat(64), at: Date.now() }),
      root: Buffer.from(root).toString("hex"),
      note: signCheckpointNote(intruder, head),
    });
    expect((await newestRootedCheckpoint(s))?.signer).toBe(intruder.did);
    const proof = await proveInclusion({ nc, mesh: m, store: s, position: 10, signers: [key.did] });
    expect(proof).toMatchObject({ signer: key.did, size: 50 });
    expect(checkProof(proof, { signers: [key.did] })).toMatchObject({ ok: true });
  });
});

describe("verify without roots", () => {
  it("checkRoots: false skips the tree (a wrong root then goes unnoticed, the notes' signatures are still checked)", async () => {
    const key = generateKeyPair();
    const m = freshMesh("treeoff");
    await ensureMeshStream(nc, m);
    const s = await openJetStreamAuditStore({ nc, mesh: m });
    await publishEvents(nc, m, 30);
    await seal(m, key, s, 10);
    const head = await s.head();
    await s.appendCheckpoint(
      signCheckpoint(
        key,
        { size: head.size, head: head.hash, at: Date.now() },
        { origin: `plexus.mesh/${m}`, root: new Uint8Array(32) },
      ),
    );
    expect(await verifyStore({ nc, mesh: m, store: s, checkRoots: false })).toMatchObject({
      ok: true,
      checkpoints: { roots: 0 },
    });
    expect(await verifyStore({ nc, mesh: m, store: s })).toMatchObject({ ok: false, kind: "checkpoint_mismatch" });
  });
});
