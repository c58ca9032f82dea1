/** exportAudit → file → readExport → verifyChain, and tampering with the file caught at the right position. */
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { generateKeyPair } from "@plexus/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENESIS } from "../src/chain.js";
import { exportAudit, type ExportOptions } from "../src/export/exporter.js";
import { ChunkReader, eachLine } from "../src/export/lines.js";
import { readExport } from "../src/export/reader.js";
import { signCheckpoint } from "../src/sealer/checkpoint.js";
import type { Checkpoint } from "../src/types.js";
import { verifyChain, type VerifyReport } from "../src/verify/verifier.js";
import { syntheticChain } from "./verify-fixtures.js";

const chain = syntheticChain(100, { checkpointEvery: 20 });
let dir: string;
let counter = 0;
let full: string;
let fullLines: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "plexus-audit-export-"));
  full = await exportTo({});
  fullLines = (await readFile(full, "utf8")).trimEnd().split("\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exportTo(extra: Partial<ExportOptions>): Promise<string> {
  const path = join(dir, `export-${++counter}.jsonl`);
  const out = createWriteStream(path);
  await exportAudit({
    events: chain.events,
    links: chain.links,
    checkpoints: chain.checkpoints,
    out,
    mesh: "t",
    ...extra,
  });
  out.end();
  await finished(out);
  return path;
}

async function verifyFile(path: string, trustedSigners?: string[]): Promise<VerifyReport> {
  return verifyChain({ ...(await readExport(path)), ...(trustedSigners ? { trustedSigners } : {}) });
}

/** Writes `lines` (edited from the full export) to a new file and verifies it. */
async function verifyEdited(edit: (lines: string[]) => string[], trustedSigners?: string[]) {
  const path = join(dir, `edited-${++counter}.jsonl`);
  await writeFile(path, `${edit([...fullLines]).join("\n")}\n`);
  const r = await verifyFile(path, trustedSigners);
  return r.ok ? "ok" : { position: r.position, kind: r.kind };
}

/** Line index of position n (line 0 is the header). */
const at = (n: number) => n;
const obj = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe("export", () => {
  it("writes a header, one line per position, then the checkpoints; reads back and verifies", async () => {
    expect(fullLines).toHaveLength(1 + 100 + 5);
    expect(obj(fullLines[0]!)).toMatchObject({
      type: "header",
      format: "plexus-audit/1",
      mesh: "t",
      from: 1,
      prevHash: GENESIS,
    });
    const line = obj(fullLines[at(7)]!);
    expect(line).toEqual({
      type: "event",
      n: 7,
      subject: chain.events[6]!.subject,
      storedAt: chain.events[6]!.storedAt,
      data: Buffer.from(chain.events[6]!.data).toString("base64"),
      event: chain.links[6]!.event,
      hash: chain.links[6]!.hash,
    });
    expect(obj(fullLines[101]!)).toEqual({ type: "checkpoint", ...chain.checkpoints[0] });
    const r = await verifyFile(full, [chain.key.did]);
    expect(r).toMatchObject({ ok: true, verified: 100, head: { size: 100, hash: chain.links[99]!.hash } });
    expect(r.checkpoints.checked).toBe(5);
  });

  it("a time range is a contiguous run headed by the hash before it, with the checkpoints it can check, and verifies alone", async () => {
    const since = chain.events[30]!.storedAt; // position 31
    const until = chain.events[69]!.storedAt; // position 70
    const path = await exportTo({ since, until });
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(obj(lines[0]!)).toMatchObject({ from: 31, prevHash: chain.links[29]!.hash, since, until });
    expect(lines.filter((l) => obj(l)["type"] === "event").map((l) => obj(l)["n"])).toEqual(
      Array.from({ length: 40 }, (_, i) => 31 + i),
    );
    expect(lines.filter((l) => obj(l)["type"] === "checkpoint").map((l) => obj(l)["size"])).toEqual([40, 60]);
    const r = await verifyFile(path);
    expect(r).toMatchObject({
      ok: true,
      from: 31,
      verified: 40,
      head: { size: 70 },
      trustedStart: { size: 30, hash: chain.links[29]!.hash },
    });
    const empty = await exportTo({ since: Date.UTC(2100, 0, 1) });
    expect(await verifyFile(empty)).toMatchObject({ ok: true, verified: 0 });
    // Links starting past the chain's end (what exportStore passes for a `since` after the last event): the empty
    // export starts after the end, with the hash of the end, and the checkpoint of the end still checks.
    const past = await exportTo({
      events: [],
      links: [],
      from: 101,
      prevHash: chain.links[99]!.hash,
      since: Date.UTC(2100, 0, 1),
    });
    expect(obj((await readFile(past, "utf8")).split("\n")[0]!)).toMatchObject({
      from: 101,
      prevHash: chain.links[99]!.hash,
    });
    expect(await verifyFile(past)).toMatchObject({
      ok: true,
      verified: 0,
      head: { size: 100 },
      checkpoints: { checked: 1 },
    });
  });

  it("catches tampering with the file at the right position", async () => {
    const alter = (l: string) => JSON.stringify({ ...obj(l), data: Buffer.from('{"forged":1}').toString("base64") });
    expect(await verifyEdited((ls) => ls.map((l, i) => (i === at(42) ? alter(l) : l)))).toEqual({
      position: 42,
      kind: "altered",
    });
    expect(await verifyEdited((ls) => ls.filter((_, i) => i !== at(42)))).toEqual({ position: 42, kind: "missing" });
    expect(await verifyEdited((ls) => [...ls.slice(0, at(42)), ls[at(12)]!, ...ls.slice(at(42))])).toEqual({
      position: 42,
      kind: "inserted",
    });
    expect(await verifyEdited((ls) => [...ls.slice(0, at(42)), "not json at all", ...ls.slice(at(42))])).toEqual({
      position: 42,
      kind: "inserted",
    });
    expect(await verifyEdited((ls) => ls.map((l, i) => (i === at(42) ? "garbage" : l)))).toEqual({
      position: 42,
      kind: "altered",
    });
    const swapped = (ls: string[]) => ls.map((l, i) => (i === at(42) ? ls[at(43)]! : i === at(43) ? ls[at(42)]! : l));
    expect(await verifyEdited(swapped)).toEqual({ position: 42, kind: "reordered" });
    // Truncated before the checkpoint at 60 (the checkpoint lines stay).
    expect(await verifyEdited((ls) => [...ls.slice(0, at(51)), ...ls.slice(101)])).toEqual({
      position: 51,
      kind: "truncated",
    });
    // …and with the covering checkpoint moved in among the events, where a reader of the tail would not look.
    expect(
      await verifyEdited((ls) => [
        ...ls.slice(0, at(31)),
        ls[105]!,
        ...ls.slice(at(31), at(91)),
        ...ls.slice(101, 105),
      ]),
    ).toEqual({ position: 91, kind: "truncated" });
  });

  it("catches a checkpoint replaced by one signed by another key", async () => {
    const other = generateKeyPair();
    const replace = (sign: (cp: Checkpoint) => Checkpoint) => (ls: string[]) =>
      ls.map((l, i) =>
        i === 103 ? JSON.stringify({ type: "checkpoint", ...sign(obj(l) as unknown as Checkpoint) }) : l,
      );
    const sameHead = replace((cp) => signCheckpoint(other, cp));
    expect(await verifyEdited(sameHead, [chain.key.did])).toEqual({ position: 60, kind: "checkpoint_signature" });
    expect(await verifyEdited(replace((cp) => signCheckpoint(other, { ...cp, head: chain.links[5]!.hash })))).toEqual({
      position: 60,
      kind: "checkpoint_mismatch",
    });
    expect(await verifyEdited(replace((cp) => ({ ...cp, size: 61 })))).toEqual({
      position: 61,
      kind: "checkpoint_signature",
    });
  });

  it("reads a file of several MB in whole lines, lines longer than its buffer too, the last one without a newline", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${i}:${"x".repeat((i * 7919) % 3000)}`);
    lines.splice(1500, 0, "y".repeat(3 << 20), "");
    const path = join(dir, "lines.txt");
    await writeFile(path, lines.join("\n"));
    const seen: string[] = [];
    const reader = new ChunkReader(path);
    for (let buf = await reader.next(); buf; buf = await reader.next())
      eachLine(buf, (b, start, end) => seen.push(b.toString("utf8", start, end)));
    expect(seen).toEqual(lines);
  });

  it("refuses what is not an export; reads each side once", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '{"type":"event"}\n');
    await expect(readExport(bad)).rejects.toThrow(/not a plexus-audit\/1 export/);
    await expect(readExport(join(dir, "nope.jsonl"))).rejects.toThrow(/cannot read export/);
    const src = await readExport(full);
    src.events[Symbol.asyncIterator]();
    expect(() => src.events[Symbol.asyncIterator]()).toThrow(/only be read once/);
  });
});
