/**
 * `plexus audit …` as users run it: child processes against a real nats-server, on a mesh of SDK traffic sealed by
 * a real sealer in the test (the registry node's job).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meshLogEnd, openJetStreamAuditStore, startSealer } from "@plexus/audit";
import { auditStreamNames } from "@plexus/audit/internal";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { connectBus } from "@plexus/bus";
import { Agent, generateKeyPair, type KeyPair } from "@plexus/sdk";
import { rotateRegistryKey } from "@plexus/registry";
import { useTestServer } from "@plexus/testing";
import { BIN, childEnv, jsonLines, type Result } from "./cli-process.js";

const nats = useTestServer();

let root: string;
let mesh: string;
let end: number;
let registry: KeyPair;
let alice: Agent;
let bob: Agent;

function run(args: string[], meshId = mesh): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, "audit", ...args, "--mesh", meshId, "--nats", nats.url],
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
  root = await mkdtemp(join(tmpdir(), "plexus-audit-cli-"));
  mesh = `acli${process.pid}`;
  registry = generateKeyPair();
  [alice, bob] = [
    await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh }),
    await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh }),
  ];
  await bob.listen(() => undefined);
  for (let i = 0; i < 4; i++) await alice.send(bob.did, { i }, { conversation: "c-9", awaitReceipt: true });
  await alice.send(bob.did, { other: true }, { conversation: "c-other", awaitReceipt: true });
  const nc = await connectBus({ servers: nats.url });
  try {
    // Let late receipts land: the log stops growing.
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
      checkpointEvery: 4,
      checkpointIntervalMs: 60_000,
    });
    await sealer.caughtUp();
    await sealer.stop();
    end = await meshLogEnd(nc, mesh);
  } finally {
    await nc.close();
  }
}, 30_000);
afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  await rm(root, { recursive: true, force: true });
});

describe("plexus audit", { timeout: 60_000 }, () => {
  it("status: head, lag, last checkpoint and its signer", async () => {
    const r = await run(["status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({
      mesh,
      head: { size: end },
      logEnd: end,
      lag: 0,
      lastCheckpoint: { size: end, signer: registry.did, valid: true },
    });
    const human = await run(["status"]);
    expect(human.stdout).toContain(`sealer lag 0 events`);
    expect(human.stdout).toContain(registry.did);
  });

  it("verify: exit 0 with the count and the head; --json one object; --from/--to start from a trusted hash", async () => {
    const human = await run(["verify"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(
        `^ok: verified ${end} events of mesh "${mesh}" \\(positions 1–${end}\\); head ${end} [0-9a-f]{64}\\n$`,
      ),
    );
    const r = await run(["verify", "--json", "--signer", registry.did]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(""); // no progress with --json (and stderr is not a terminal)
    expect(json(r)).toMatchObject({ ok: true, verified: end, head: { size: end }, source: "live" });
    const part = await run(["verify", "--from", "3", "--to", "5", "--json"]);
    expect(json(part)).toMatchObject({ ok: true, from: 3, verified: 3, head: { size: 5 }, trustedStart: { size: 2 } });
    const other = await run(["verify", "--json", "--signer", generateKeyPair().did]);
    expect(other.code).toBe(3);
    expect(json(other)).toMatchObject({ ok: false, kind: "checkpoint_signature", position: end });
  });

  it("export to a file and to stdout; verify --file on it; a tampered export exits 3 naming the position", async () => {
    const file = join(root, "export.jsonl");
    const exported = await run(["export", "--out", file, "--json"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(json(exported)).toMatchObject({ from: 1, to: end, count: end, file });
    const stdout = await run(["export"]);
    expect(stdout.code).toBe(0);
    const streamed = jsonLines(stdout.stdout);
    expect(streamed[0]).toMatchObject({ type: "header", format: "plexus-audit/1", mesh, from: 1 });
    expect(streamed.filter((l) => l["type"] === "event").map((l) => l["n"])).toEqual(
      Array.from({ length: end }, (_, i) => i + 1),
    );
    expect(stdout.stderr).toContain(`exported ${end} positions`);

    const ok = await run(["verify", "--file", file, "--json"]);
    expect(json(ok)).toMatchObject({ ok: true, verified: end, source: "file" });
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    const line = JSON.parse(lines[3]!) as Record<string, unknown>;
    lines[3] = JSON.stringify({ ...line, data: Buffer.from('{"forged":true}').toString("base64") });
    const tampered = join(root, "tampered.jsonl");
    await writeFile(tampered, `${lines.join("\n")}\n`);
    const bad = await run(["verify", "--file", tampered]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^FAILED at position 3: altered: /);
    expect(json(await run(["verify", "--file", tampered, "--json"]))).toMatchObject({
      ok: false,
      position: 3,
      kind: "altered",
      verified: 2,
      head: { size: 2 },
    });
  });

  it("export --since/--until: a range that verifies alone", async () => {
    const file = join(root, "range.jsonl");
    const r = await run([
      "export",
      "--since",
      "-1h",
      "--until",
      new Date(Date.now() + 60_000).toISOString(),
      "--out",
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`exported ${end} positions (1–${end})`);
    const none = join(root, "none.jsonl");
    await run(["export", "--since", "2100-01-01", "--out", none]);
    expect(json(await run(["verify", "--file", none, "--json"]))).toMatchObject({ ok: true, verified: 0 });
  });

  it("query: by agent and conversation, by type, with limit, each with its position and link hash", async () => {
    const r = await run(["query", "--agent", bob.did, "--conversation", "c-9", "--type", "acp.message", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const matches = jsonLines(r.stdout);
    expect(matches).toHaveLength(4);
    for (const m of matches)
      expect(m).toMatchObject({
        kind: "envelope",
        type: "acp.message",
        conversation: "c-9",
        envelope: { from: alice.did, to: bob.did },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    const limited = await run(["query", "--agent", alice.did, "--limit", "2", "--since", "-1h"]);
    expect(limited.stdout.trim().split("\n")).toHaveLength(2);
    expect(limited.stdout).toMatch(/^#\d+ {2}\S+ {2}envelope {2}/);
    expect(limited.stderr).toContain("2 matches");
  });

  it("tampering in the live chain: verify exits 3 with the position and kind", async () => {
    const tamperedMesh = `${mesh}t`;
    const a = await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh: tamperedMesh });
    const nc = await connectBus({ servers: nats.url });
    try {
      await a.publish("news", { n: 1 });
      await a.publish("news", { n: 2 });
      const store = await openJetStreamAuditStore({ nc, mesh: tamperedMesh });
      const sealer = await startSealer({ nc, mesh: tamperedMesh, store, key: registry });
      await sealer.caughtUp();
      await sealer.stop();
      const first = await store.link(1);
      await nc.publish(auditStreamNames(tamperedMesh).chainSubject, new TextEncoder().encode(JSON.stringify(first)));
      await nc.flush();
      const r = await run(["verify", "--json"], tamperedMesh);
      expect(r.code).toBe(3);
      expect(json(r)).toMatchObject({ ok: false, position: 3, kind: "inserted", verified: 2 });
    } finally {
      await a.close();
      await nc.close();
    }
  });

  it("usage errors exit 2; a mesh that does not exist exits 7 (not found), an unreadable file 6 (invalid input), with one line", async () => {
    for (const args of [
      [],
      ["frob"],
      ["verify", "--agent", "did:key:x"],
      ["query", "--since", "yesterday"],
      ["verify", "--from", "0"],
      ["query", "--agent", "bob"],
      ["status", "extra"],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("usage: plexus audit status");
    }
    const noChain = await run(["status"], `nochain${process.pid}`);
    expect(noChain.code).toBe(exitCodeFor(ErrorCode.MeshNotFound));
    expect(noChain.stderr.trim().split("\n")).toEqual([
      `plexus: mesh "nochain${process.pid}" does not exist on ${nats.url} (no mesh stream)`,
    ]);
    const missing = await run(["verify", "--file", join(root, "nope.jsonl")]);
    expect(missing.code).toBe(exitCodeFor(ErrorCode.InvalidArgument));
    expect(missing.stderr).toMatch(/^plexus: cannot read export .*nope\.jsonl/);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("exit 3 naming the");
  });

  it("verify --signer OLD follows a registry key rotation recorded in the log, live and in an export", async () => {
    const rmesh = `${mesh}rot`;
    const [oldKey, newKey] = [generateKeyPair(), generateKeyPair()];
    const [a, b] = [
      await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh: rmesh }),
      await Agent.connect({ key: generateKeyPair(), nats: nats.url, mesh: rmesh }),
    ];
    const nc = await connectBus({ servers: nats.url });
    try {
      await b.listen(() => undefined);
      const traffic = async () => {
        for (let i = 0; i < 4; i++) await a.send(b.did, { i }, { conversation: "rot", awaitReceipt: true });
        for (let last = -1, now = await meshLogEnd(nc, rmesh); now !== last; now = await meshLogEnd(nc, rmesh)) {
          last = now;
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      const seal = async (key: KeyPair) => {
        const sealer = await startSealer({
          nc,
          mesh: rmesh,
          store: await openJetStreamAuditStore({ nc, mesh: rmesh }),
          key,
          checkpointEvery: 4,
          checkpointIntervalMs: 60_000,
        });
        await sealer.caughtUp();
        await sealer.stop();
      };
      await traffic();
      await seal(oldKey);
      await rotateRegistryKey(nc, rmesh, oldKey, newKey);
      await traffic();
      await seal(newKey);

      const live = await run(["verify", "--json", "--signer", oldKey.did], rmesh);
      expect(live.code, live.stderr).toBe(0);
      const signers = (json(live)["checkpoints"] as { signers: Record<string, number> }).signers;
      expect(Object.keys(signers).sort()).toEqual([oldKey.did, newKey.did].sort());
      // Trust does not flow backwards: the new key alone does not vouch for the old key's checkpoints.
      expect((await run(["verify", "--json", "--signer", newKey.did], rmesh)).code).toBe(3);
      const file = join(root, "rotated.jsonl");
      expect((await run(["export", "--out", file], rmesh)).code).toBe(0);
      const fromFile = await run(["verify", "--json", "--file", file, "--signer", oldKey.did], rmesh);
      expect(fromFile.code, fromFile.stderr).toBe(0);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await nc.close();
    }
  });
});
