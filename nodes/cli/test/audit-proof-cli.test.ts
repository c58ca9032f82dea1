/**
 * `plexus audit prove` and `plexus audit check-proof` as users run them (child processes, a real nats-server): SDK
 * messages sealed by a real sealer, proofs by envelope ID and by position written to files, checked offline (the
 * check gets no --nats and the server is not needed), with the pinned registry key, another key, none (exit 5, not
 * pinned), another mesh or origin, and edited files;
 * the written proofs also pass @sigstore/verify's independent RFC 6962 inclusion check.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyMerkleInclusion } from "@sigstore/verify/dist/tlog/merkle.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meshLogEnd, openJetStreamAuditStore, startSealer } from "@plexus/audit";
import { leafInput, openCheckpointNote } from "@plexus/audit/internal";
import { connectBus } from "@plexus/bus";
import {
  Agent,
  checkProof,
  generateKeyPair,
  type InclusionProofFile,
  type KeyPair,
  type SendResult,
} from "@plexus/sdk";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { BIN, childEnv, type Result } from "./cli-process.js";

const nats = useTestServer();

let root: string;
let mesh: string;
let end: number;
let registry: KeyPair;
let alice: Agent;
let bob: Agent;
const sent: SendResult[] = [];

function run(args: string[], withServer = true): Promise<Result> {
  const server = withServer ? ["--mesh", mesh, "--nats", nats.url] : [];
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, "audit", ...args, ...server],
      { timeout: 20_000, env: childEnv(), encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === "number"
            ? (err as { code: number }).code
            : null
          : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const json = (r: Result) => JSON.parse(r.stdout) as Record<string, unknown>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "plexus-audit-proof-"));
  mesh = `aproof${process.pid}`;
  registry = generateKeyPair();
  [alice, bob] = [
    await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh }),
    await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh }),
  ];
  await bob.listen(() => undefined);
  const nc = await connectBus({ servers: nats.url });
  try {
    // Sealed in two rounds, so there is an older checkpoint to prove consistency from.
    for (const round of [0, 1]) {
      for (let i = 0; i < 3; i++)
        sent.push(await alice.send(bob.did, { round, i }, { conversation: "c-1", awaitReceipt: true }));
      for (let last = -1, now = await meshLogEnd(nc, mesh); now !== last; now = await meshLogEnd(nc, mesh)) {
        last = now;
        await new Promise((r) => setTimeout(r, 200));
      }
      const store = await openJetStreamAuditStore({ nc, mesh });
      const sealer = await startSealer({
        nc,
        mesh,
        store,
        key: registry,
        checkpointEvery: 1_000,
        checkpointIntervalMs: 60_000,
      });
      await sealer.caughtUp();
      await sealer.stop();
    }
    end = await meshLogEnd(nc, mesh);
  } finally {
    await nc.close();
  }
}, 30_000);
afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  await rm(root, { recursive: true, force: true });
});

describe("plexus audit prove / check-proof", { timeout: 60_000 }, () => {
  it("proves a message by envelope ID; the proof checks offline with the pinned key, fails with another or when edited", async () => {
    const msg = sent[3]!;
    const file = join(root, "inclusion.json");
    const made = await run(["prove", msg.id, "--out", file]);
    expect(made.code, made.stderr).toBe(0);
    const proof = JSON.parse(await readFile(file, "utf8")) as InclusionProofFile;
    expect(proof).toMatchObject({
      format: "plexus-audit-inclusion/1",
      position: msg.streamSeq,
      size: end,
      signer: registry.did,
    });
    expect(JSON.parse(Buffer.from(proof.data, "base64").toString("utf8"))).toMatchObject({ id: msg.id });

    const ok = await run(["check-proof", file, "--signer", registry.did, "--mesh", mesh, "--json"], false);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({
      ok: true,
      kind: "inclusion",
      pinned: true,
      position: msg.streamSeq,
      size: end,
      origin: `plexus.mesh/${mesh}`,
    });
    const human = await run(["check-proof", file, "--signer", registry.did, "--origin", `plexus.mesh/${mesh}`], false);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`valid: position ${msg.streamSeq} is in the log plexus.mesh/${mesh}`);

    // No --signer: the proof holds, but the file names its own signer; never exit 0.
    const unpinned = await run(["check-proof", file, "--mesh", mesh], false);
    expect(unpinned.code).toBe(5);
    expect(unpinned.stdout).toMatch(/^NOT PINNED: position \d+ is in the log plexus.mesh\//);
    const unpinnedJson = await run(["check-proof", file, "--mesh", mesh, "--json"], false);
    expect(unpinnedJson.code).toBe(5);
    expect(json(unpinnedJson)).toMatchObject({
      ok: false,
      reason: "not_pinned",
      pinned: false,
      origin: `plexus.mesh/${mesh}`,
      signers: [registry.did],
    });

    // Another mesh (explicit, or the default one when --mesh is not given) or origin: refused as "origin".
    for (const args of [["--mesh", `${mesh}x`], [], ["--origin", "example.com/log"]]) {
      const wrong = await run(["check-proof", file, "--signer", registry.did, "--json", ...args], false);
      expect(wrong.code, JSON.stringify(args)).toBe(3);
      expect(json(wrong)).toMatchObject({ ok: false, reason: "origin", pinned: true });
    }
    const wrongHuman = await run(["check-proof", file, "--signer", registry.did, "--mesh", `${mesh}x`], false);
    expect(wrongHuman.stdout).toContain(
      `INVALID: origin: the checkpoint is for plexus.mesh/${mesh}, not plexus.mesh/${mesh}x (checking a proof of another mesh: pass its --mesh NAME`,
    );
    expect(
      (await run(["check-proof", file, "--signer", registry.did, "--mesh", mesh, "--origin", "example.com/log"], false))
        .code,
    ).toBe(2);

    const other = await run(["check-proof", file, "--signer", generateKeyPair().did, "--mesh", mesh, "--json"], false);
    expect(other.code).toBe(3);
    expect(json(other)).toMatchObject({ ok: false, reason: "checkpoint_signature" });

    const edited = join(root, "edited.json");
    await writeFile(
      edited,
      JSON.stringify({ ...proof, data: Buffer.from(JSON.stringify({ forged: true })).toString("base64") }),
    );
    const bad = await run(["check-proof", edited, "--signer", registry.did, "--mesh", mesh], false);
    expect(bad.code).toBe(3); // AUDIT_TAMPERED, as verify
    expect(bad.stdout).toMatch(/^INVALID: inclusion: /);

    // Independent check of the same file: Sigstore's RFC 6962 verifier against the note's root.
    const note = openCheckpointNote(proof.checkpoint, [registry.did]);
    if (!note.ok) throw new Error(note.detail);
    expect(() =>
      verifyMerkleInclusion(
        {
          canonicalizedBody: Buffer.from(leafInput(proof.subject, Buffer.from(proof.data, "base64"))),
          inclusionProof: { logIndex: String(proof.index), hashes: proof.hashes.map((h) => Buffer.from(h, "base64")) },
        } as never,
        { logSize: BigInt(note.head.size), logHash: Buffer.from(note.head.root) } as never,
      ),
    ).not.toThrow();
    expect(checkProof(proof, { signers: [registry.did] })).toMatchObject({ ok: true });
  });

  it("proves positions by --position (stdout), and a consistency proof from an older checkpoint", async () => {
    for (const position of [1, 2, Math.ceil(end / 2), end]) {
      const r = await run(["prove", "--position", String(position)]);
      expect(r.code, r.stderr).toBe(0);
      expect(checkProof(JSON.parse(r.stdout), { signers: [registry.did] })).toMatchObject({ ok: true, position });
    }
    // An older checkpoint: the note of the first round's checkpoint, taken from the store.
    const nc = await connectBus({ servers: nats.url });
    let older: string;
    try {
      const store = await openJetStreamAuditStore({ nc, mesh });
      const cps = [];
      for await (const cp of store.checkpoints()) cps.push(cp);
      older = cps.find((c) => c.size < end)!.note!;
    } finally {
      await nc.close();
    }
    const oldFile = join(root, "old.note");
    await writeFile(oldFile, older);
    const out = join(root, "consistency.json");
    const made = await run(["prove", "--from-checkpoint", oldFile, "--out", out]);
    expect(made.code, made.stderr).toBe(0);
    const r = await run(["check-proof", out, "--signer", registry.did, "--mesh", mesh, "--json"], false);
    expect(r.code, r.stdout).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, kind: "consistency", size: end });
    const forgedOld = join(root, "forged.json");
    const c = JSON.parse(await readFile(out, "utf8")) as { hashes: string[] };
    await writeFile(
      forgedOld,
      JSON.stringify({ ...c, hashes: c.hashes.map((h, i) => (i === 0 ? Buffer.alloc(32, 1).toString("base64") : h)) }),
    );
    const bad = await run(["check-proof", forgedOld, "--signer", registry.did, "--mesh", mesh, "--json"], false);
    expect(bad.code).toBe(3); // AUDIT_TAMPERED, as verify
    expect(json(bad)).toMatchObject({ ok: false, reason: "consistency" });
  });

  it("usage: one of ID, --position, --from-checkpoint; check-proof needs a FILE; a position past the newest checkpoint is a failure", async () => {
    expect((await run(["prove"])).code).toBe(2);
    expect((await run(["prove", "x", "--position", "1"])).code).toBe(2);
    expect((await run(["check-proof"], false)).code).toBe(2);
    const past = await run(["prove", "--position", String(end + 10)]);
    expect(past.code).toBe(exitCodeFor(ErrorCode.InvalidArgument));
    expect(past.stderr).toContain("not covered by the newest checkpoint");
    const help = await run(["--help"], false);
    expect(help.stdout).toContain("plexus audit check-proof FILE --signer DID [--mesh NAME | --origin ORIGIN]");
  });
});
