/**
 * `plexus audit witness` and `plexus audit verify --witness` as users run them (child processes, a real nats-server),
 * against issue 13's finding 1: a privileged attacker (the mesh's service credentials, not the registry key) alters
 * event 40, has every link recomputed (a sealer run over the rewritten log) and empties the checkpoints stream. The
 * chain then holds and `verify` says ok (undetectable without a witness or a pinned signer); a witness's folder,
 * outside the mesh, makes it fail (fork), as does a pinned signer (checkpoint_missing). Also a truncated log and a
 * log rolled back to an older consistent state (its old checkpoint, signed by the registry key, put back): only the
 * witness sees that (rollback). A witness refuses a forked log (the same size re-signed by the registry key with
 * another root), a rolled-back one and one re-signed by another key, exits 3, and keeps its state.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openJetStreamAuditStore, readMeshLog, startSealer, type Checkpoint, type LogEvent } from "@plexus/audit";
import { auditStreamConfigs, tileStreamConfig } from "@plexus/audit/internal";
import { connectBus, ensureMeshStream, meshStreamConfig } from "@plexus/bus";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { rotateRegistryKey } from "@plexus/registry";
import { useTestServer } from "@plexus/testing";
import { BIN, childEnv, cli, jsonLines, stderrJson, type Result } from "./cli-process.js";
import { coveredNow } from "../src/commands/audit/witness-check.js";
import { cosignatureVerifier, openNote } from "@plexus/audit";

const nats = useTestServer();

let root: string;
let nc: NatsConnection;
let registry: KeyPair;
let meshes = 0;

function run(mesh: string, args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, "audit", ...args, "--mesh", mesh, "--nats", nats.url, "--keys", join(root, "keys")],
      { timeout: 30_000, env: childEnv(), encoding: "utf8" },
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

async function publish(mesh: string, from: number, count: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = from; i < from + count; i++)
    await js.publish(`plexus.${mesh}.acp.topic.load.t${i % 3}`, new TextEncoder().encode(`{"i":${i}}`));
}

async function seal(mesh: string, key: KeyPair): Promise<void> {
  const store = await openJetStreamAuditStore({ nc, mesh });
  const sealer = await startSealer({ nc, mesh, store, key, checkpointEvery: 1_000, checkpointIntervalMs: 60_000 });
  await sealer.caughtUp();
  await sealer.stop();
  await store.close();
}

async function checkpoints(mesh: string): Promise<Checkpoint[]> {
  const store = await openJetStreamAuditStore({ nc, mesh });
  const list: Checkpoint[] = [];
  for await (const cp of store.checkpoints()) list.push(cp);
  await store.close();
  return list;
}

/** Deletes a stream (until the server no longer knows it) and creates it again, empty, from `config`. */
async function recreate(config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (let attempt = 0; attempt < 20; attempt++) {
    await jsm.streams.delete(config.name).catch(() => undefined);
    const exists = await jsm.streams.info(config.name).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    const info = await jsm.streams.add(config);
    if (info.state.last_seq === 0 && (await jsm.streams.info(config.name)).state.last_seq === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${config.name} could not be recreated empty`);
}

/**
 * The attacker's rewrite: the mesh log replaced by `events`, the chain and tiles recomputed by a sealer signing with
 * `key`, then the checkpoints replaced by `keep` (none: emptied).
 */
async function rewrite(mesh: string, events: LogEvent[], key: KeyPair, keep: Checkpoint[] = []): Promise<void> {
  const [chain, cps] = auditStreamConfigs(mesh);
  await recreate(meshStreamConfig(mesh));
  const js = jetstream(nc);
  for (const e of events) await js.publish(e.subject, e.data);
  await recreate(chain!);
  await recreate(cps!);
  await recreate(tileStreamConfig(mesh));
  await seal(mesh, key);
  await recreate(cps!);
  const store = await openJetStreamAuditStore({ nc, mesh });
  for (const cp of keep) await store.appendCheckpoint(cp);
  await store.close();
}

async function readLog(mesh: string): Promise<LogEvent[]> {
  const list: LogEvent[] = [];
  for await (const e of readMeshLog(nc, mesh, 1)) list.push(e);
  return list;
}

/** A mesh of 80 events sealed in two rounds (checkpoints at 60 and 80), witnessed after each by `name`. */
async function witnessedMesh(name: string): Promise<{ mesh: string; dir: string }> {
  const mesh = `wit${process.pid}x${++meshes}`;
  const dir = join(root, "witness", name, mesh);
  await ensureMeshStream(nc, mesh);
  await publish(mesh, 0, 60);
  await seal(mesh, registry);
  const first = await run(mesh, ["witness", "--as", name, "--dir", dir, "--signer", registry.did, "--once", "--json"]);
  expect(first.code, first.stderr).toBe(0);
  expect(json(first)).toMatchObject({ ok: true, witness: name, size: 60, advanced: true });
  await publish(mesh, 60, 20);
  await seal(mesh, registry);
  const second = await run(mesh, ["witness", "--as", name, "--dir", dir, "--once", "--json"]);
  expect(second.code, second.stderr).toBe(0);
  expect(json(second)).toMatchObject({
    ok: true,
    size: 80,
    advanced: true,
    subject: `plexus-audit.${mesh}.cosig.${name}`,
  });
  return { mesh, dir };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "plexus-audit-witness-"));
  nc = await connectBus({ servers: nats.url });
  registry = generateKeyPair();
});
afterAll(async () => {
  await nc?.close();
  await rm(root, { recursive: true, force: true });
});

describe("plexus audit witness / verify --witness", { timeout: 120_000 }, () => {
  it("cosigns consistent checkpoints into its own folder (0600), and says so again without advancing", async () => {
    const { mesh, dir } = await witnessedMesh("alice");
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as {
      size: number;
      name: string;
      note: string;
      logKeys: string[];
    };
    expect(state).toMatchObject({ size: 80, name: "alice", logKeys: [registry.did] });
    expect(state.note).toContain("\u2014 alice ");
    expect((await stat(join(dir, "state.json"))).mode & 0o777).toBe(0o600);
    const again = await run(mesh, ["witness", "--as", "alice", "--dir", dir, "--once", "--json"]);
    expect(json(again)).toMatchObject({ ok: true, size: 80, advanced: false });
    const ok = await run(mesh, ["verify", "--witness", dir, "--signer", registry.did, "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ ok: true, witnesses: [{ witness: "alice", ok: true, size: 80 }], quorum: 1 });
    // An export of the log, checked without NATS against the same folder.
    const exported = join(root, `${mesh}.jsonl`);
    expect((await run(mesh, ["export", "--out", exported])).code).toBe(0);
    const fromFile = await run(mesh, [
      "verify",
      "--file",
      exported,
      "--witness",
      dir,
      "--signer",
      registry.did,
      "--json",
    ]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(json(fromFile)).toMatchObject({
      ok: true,
      source: "file",
      witnesses: [{ witness: "alice", ok: true, size: 80 }],
    });
    const missing = await run(mesh, ["verify", "--witness", join(root, "nowhere")]);
    expect(missing.code).toBe(6); // INVALID_ARGUMENT: the --witness given holds no state
    expect(missing.stderr).toMatch(/--witness .*nowhere: no witness state/);
    // a witness state of this mesh is not one of another mesh: the other mesh's verify refuses it
    const other = await witnessedMesh("alice2");
    const foreign = await run(other.mesh, ["verify", "--witness", dir, "--json"]);
    expect(foreign.code).toBe(3);
    expect(json(foreign)).toMatchObject({ ok: false, kind: "checkpoint_signature" });
  });

  it("finding 1 (alter event 40, links recomputed, checkpoints emptied): ok without a witness, fork with one, checkpoint_missing with a pinned signer past --max-unsealed", async () => {
    const { mesh, dir } = await witnessedMesh("bob");
    const events = await readLog(mesh);
    events[39] = { ...events[39]!, data: new TextEncoder().encode('{"forged":true}') };
    await rewrite(mesh, events, generateKeyPair());
    expect(await checkpoints(mesh)).toEqual([]);
    const blind = await run(mesh, ["verify", "--json"]);
    expect(blind.code, blind.stderr).toBe(0);
    expect(json(blind)).toMatchObject({ ok: true, head: { size: 80 } });
    const witnessed = await run(mesh, ["verify", "--witness", dir, "--json"]);
    expect(witnessed.code).toBe(3);
    expect(json(witnessed)).toMatchObject({
      ok: false,
      kind: "fork",
      position: 80,
      witnesses: [{ witness: "bob", ok: false, kind: "fork" }],
    });
    // The same rewritten log as an export file (a copy handed to an auditor): the witness's folder fails it too.
    const exported = join(root, `${mesh}-rewritten.jsonl`);
    expect((await run(mesh, ["export", "--out", exported])).code).toBe(0);
    expect((await run(mesh, ["verify", "--file", exported])).code).toBe(0);
    const fileWitnessed = await run(mesh, ["verify", "--file", exported, "--witness", dir, "--json"]);
    expect(fileWitnessed.code).toBe(3);
    expect(json(fileWitnessed)).toMatchObject({
      ok: false,
      kind: "fork",
      position: 80,
      witnesses: [{ witness: "bob", ok: false, kind: "fork" }],
    });
    const human = await run(mesh, ["verify", "--witness", join(dir, "state.json")]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/FAILED at position 80: fork: .*witness bob/);
    // 80 uncovered events are within the default allowance (1,000: the sealer's checkpoint interval); 10 are not
    expect((await run(mesh, ["verify", "--signer", registry.did])).code).toBe(0);
    const pinned = await run(mesh, ["verify", "--signer", registry.did, "--max-unsealed", "10", "--json"]);
    expect(pinned.code).toBe(3);
    expect(json(pinned)).toMatchObject({ ok: false, kind: "checkpoint_missing", position: 1 });
    // A witness fed the rewritten log refuses: it no longer shows the checkpoint it cosigned.
    const refused = await run(mesh, ["witness", "--as", "bob", "--dir", dir, "--once", "--json"]);
    expect(refused.code).toBe(3);
    // --json: the refusal on stderr is one JSON object, with the code of the exit code.
    expect(stderrJson(refused.stderr)).toEqual([
      {
        error: expect.objectContaining({
          code: "AUDIT_TAMPERED",
          message: expect.stringMatching(/^witness bob refuses the checkpoint/),
        }),
      },
    ]);
    expect(json(refused)).toMatchObject({ ok: false, reason: "rollback" });
    // Re-signed with another key: the witness refuses it (bad_signature); a pinned signer and the witness both fail it.
    const attacker = generateKeyPair();
    await publish(mesh, 80, 5);
    await seal(mesh, attacker);
    expect((await checkpoints(mesh)).map((cp) => cp.signer)).toEqual([attacker.did]);
    const resigned = await run(mesh, ["witness", "--as", "bob", "--dir", dir, "--once", "--json"]);
    expect(resigned.code).toBe(3);
    expect(json(resigned)).toMatchObject({ ok: false, reason: "bad_signature", size: 80 });
    expect(json(await run(mesh, ["verify", "--signer", registry.did, "--json"]))).toMatchObject({
      ok: false,
      kind: "checkpoint_signature",
    });
    expect(json(await run(mesh, ["verify", "--witness", dir, "--json"]))).toMatchObject({ ok: false, kind: "fork" });
  });

  it("a truncated log and a log rolled back to an older consistent state: rollback, seen only by the witness", async () => {
    const { mesh, dir } = await witnessedMesh("carol");
    const events = await readLog(mesh);
    const old = (await checkpoints(mesh)).filter((cp) => cp.size === 60);
    expect(old).toHaveLength(1);
    // rolled back to 60 events with the registry's own checkpoint of that state: a pinned signer is satisfied
    await rewrite(mesh, events.slice(0, 60), generateKeyPair(), old);
    const signerOnly = await run(mesh, ["verify", "--signer", registry.did, "--json"]);
    expect(signerOnly.code, signerOnly.stdout).toBe(0);
    const rolled = await run(mesh, ["verify", "--signer", registry.did, "--witness", dir, "--json"]);
    expect(rolled.code).toBe(3);
    expect(json(rolled)).toMatchObject({ ok: false, kind: "rollback", position: 61 });
    // and the witness refuses the older checkpoint
    const refused = await run(mesh, ["witness", "--as", "carol", "--dir", dir, "--once", "--json"]);
    expect(refused.code).toBe(3);
    expect(json(refused)).toMatchObject({ ok: false, reason: "rollback", size: 80 });
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8"))).toMatchObject({ size: 80 });
    // truncated to 50, checkpoints gone
    await rewrite(mesh, events.slice(0, 50), generateKeyPair());
    expect((await run(mesh, ["verify"])).code).toBe(0);
    expect(json(await run(mesh, ["verify", "--witness", dir, "--json"]))).toMatchObject({
      ok: false,
      kind: "rollback",
      position: 51,
    });
  });

  it("a fork re-signed by the registry key: the witness refuses it (fork) and keeps its state; a quorum of two with one forked witness fails", async () => {
    const { mesh, dir } = await witnessedMesh("dave");
    const events = await readLog(mesh);
    events[20] = { ...events[20]!, data: new TextEncoder().encode('{"forged":20}') };
    // the attacker holds the registry key too: another history, grown to 90 events and checkpointed by the registry
    await rewrite(mesh, events, registry);
    await publish(mesh, 80, 10);
    await seal(mesh, registry);
    expect((await checkpoints(mesh)).map((cp) => [cp.size, cp.signer])).toEqual([[90, registry.did]]);
    const refused = await run(mesh, ["witness", "--as", "dave", "--dir", dir, "--once", "--json"]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(json(refused)).toMatchObject({ ok: false, reason: "fork", size: 80 });
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8"))).toMatchObject({ size: 80 });
    // a second witness that only ever saw the forked history holds; with both and quorum 2 the verify fails
    const eveDir = join(root, "eve", mesh);
    expect(
      (await run(mesh, ["witness", "--as", "eve", "--dir", eveDir, "--signer", registry.did, "--once"])).code,
    ).toBe(0);
    expect((await run(mesh, ["verify", "--witness", eveDir, "--signer", registry.did])).code).toBe(0);
    const quorum2 = await run(mesh, ["verify", "--witness", dir, "--witness", eveDir, "--quorum", "2", "--json"]);
    expect(quorum2.code).toBe(3);
    expect(json(quorum2)).toMatchObject({ ok: false, kind: "fork" });
    const quorum1 = await run(mesh, ["verify", "--witness", dir, "--witness", eveDir, "--quorum", "1", "--json"]);
    expect(quorum1.code, quorum1.stdout).toBe(0);
  });

  it("following: cosigns each new checkpoint, publishes the cosigned note on plexus-audit.<mesh>.cosig.NAME, stops on SIGTERM", async () => {
    const { mesh, dir } = await witnessedMesh("frank");
    const procs = cli();
    const notes: string[] = [];
    const sub = nc.subscribe(`plexus-audit.${mesh}.cosig.frank`, { callback: (_e, m) => void notes.push(m.string()) });
    try {
      const w = procs.start([
        "audit",
        "witness",
        "--as",
        "frank",
        "--dir",
        dir,
        "--interval",
        "200",
        "--json",
        "--mesh",
        mesh,
        "--nats",
        nats.url,
        "--keys",
        join(root, "keys"),
      ]);
      await publish(mesh, 80, 15);
      await seal(mesh, registry);
      await w.waitFor('"size":95', 15_000, "stdout");
      w.child.kill("SIGTERM");
      const done = await w.exited;
      expect(done.code, done.stderr).toBe(0);
      expect(jsonLines(done.stdout).map((l) => [l["size"], l["advanced"]])).toEqual([[95, true]]);
      expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8"))).toMatchObject({ size: 95 });
      await nc.flush();
      expect(notes).toHaveLength(1);
      const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { did: string; note: string };
      expect(notes[0]).toBe(state.note);
      expect(openNote(notes[0]!, [cosignatureVerifier("frank", state.did)]).ok).toBe(true);
    } finally {
      sub.unsubscribe();
      await procs.reap();
    }
  });

  it("coverage read again after the walk: only pinned checkpoints whose head is the verified link there count", async () => {
    const { mesh } = await witnessedMesh("gina");
    const old = await checkpoints(mesh);
    const store = await openJetStreamAuditStore({ nc, mesh });
    try {
      expect(await coveredNow(store, [registry.did], 80)).toBe(80);
      expect(await coveredNow(store, [registry.did], 79)).toBe(60);
      expect(await coveredNow(store, [generateKeyPair().did], 80)).toBe(0);
    } finally {
      await store.close();
    }
    // rewritten (event 40), the registry's old checkpoints put back: their heads are not the recomputed links
    const events = await readLog(mesh);
    events[39] = { ...events[39]!, data: new TextEncoder().encode('{"forged":40}') };
    await rewrite(mesh, events, generateKeyPair(), old);
    const after = await openJetStreamAuditStore({ nc, mesh });
    try {
      expect(await coveredNow(after, [registry.did], 80)).toBe(0);
    } finally {
      await after.close();
    }
    expect(json(await run(mesh, ["verify", "--signer", registry.did, "--json"]))).toMatchObject({
      ok: false,
      kind: "checkpoint_mismatch",
    });
  });

  it("follows a registry key rotation recorded in the log; a checkpoint by a key the log does not name is passed over", async () => {
    const mesh = `wit${process.pid}x${++meshes}`;
    const dir = join(root, "witness", "grace", mesh);
    const [oldKey, newKey, stranger] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    await ensureMeshStream(nc, mesh);
    await publish(mesh, 0, 10);
    await seal(mesh, oldKey);
    expect((await run(mesh, ["witness", "--as", "grace", "--dir", dir, "--signer", oldKey.did, "--once"])).code).toBe(
      0,
    );
    // A checkpoint by a key the log names nowhere: not one to witness (passed over, the state stays).
    await publish(mesh, 10, 5);
    await seal(mesh, stranger);
    const strangers = await run(mesh, ["witness", "--as", "grace", "--dir", dir, "--once", "--json"]);
    expect(strangers.code, strangers.stderr).toBe(0);
    expect(json(strangers)).toMatchObject({ ok: true, size: 10, advanced: false });
    // The registry rotates its key (an event signed by the old key, with the new key's proof); the sealer signs with the new one.
    await rotateRegistryKey(nc, mesh, oldKey, newKey);
    await publish(mesh, 15, 5);
    await seal(mesh, newKey);
    const after = await run(mesh, ["witness", "--as", "grace", "--dir", dir, "--once", "--json"]);
    expect(after.code, after.stderr).toBe(0);
    expect(json(after)).toMatchObject({ ok: true, size: 21, advanced: true });
    expect(after.stderr).toContain(`the registry key was rotated to ${newKey.did}`);
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { logKeys: string[] };
    expect(state.logKeys).toEqual([oldKey.did, newKey.did]);
    // verify follows the rotation too; the stranger's checkpoint is what it reports, the witness itself holds.
    const verified = await run(mesh, ["verify", "--witness", dir, "--signer", oldKey.did, "--json"]);
    expect(verified.code, verified.stderr).toBe(3);
    expect(json(verified)).toMatchObject({
      ok: false,
      kind: "checkpoint_signature",
      witnesses: [{ witness: "grace", ok: true, size: 21 }],
    });
    expect(String(json(verified)["detail"])).toContain(stranger.did);
  });

  it("usage: --as is required; --quorum needs as many witnesses", async () => {
    const r = await run("nomesh", ["witness", "--once"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--as NAME/);
    expect((await run("nomesh", ["verify", "--witness", root, "--quorum", "2"])).code).toBe(2);
  });
});
