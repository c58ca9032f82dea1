/** verifyChain on in-memory chains: every kind of fault is named at its position. */
import { generateKeyPair } from "@plexus/identity";
import { describe, expect, it } from "vitest";
import { GENESIS, linkHash } from "../src/chain.js";
import { signCheckpoint } from "../src/sealer/checkpoint.js";
import type { ChainLink, LogEvent } from "../src/types.js";
import { ChainHasher } from "../src/verify/hashing.js";
import { verifyChain, type VerifyReport } from "../src/verify/verifier.js";
import { resealFrom, syntheticChain, syntheticEvent } from "./verify-fixtures.js";

const base = syntheticChain(120, { checkpointEvery: 25 });

function fault(r: VerifyReport): { position: number; kind: string } | "ok" {
  return r.ok ? "ok" : { position: r.position, kind: r.kind };
}

async function check(
  events: LogEvent[],
  links: ChainLink[],
  checkpoints = base.checkpoints,
  extra: { trustedSigners?: string[] } = {},
) {
  return verifyChain({ events, links, checkpoints, ...extra });
}

function swap<T>(list: T[], i: number, j: number): T[] {
  const copy = [...list];
  [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  return copy;
}

describe("verifyChain", () => {
  it("an intact chain: every position verified, the head, the checkpoints checked", async () => {
    const r = await check(base.events, base.links);
    expect(r).toMatchObject({ ok: true, from: 1, verified: 120, head: { size: 120, hash: base.links[119]?.hash } });
    expect(r.checkpoints.checked).toBe(4);
    expect(r.checkpoints.signers).toEqual({ [base.key.did]: 4 });
    expect(r.trustedStart).toBeUndefined();
  });

  it("events beyond the chain's end are not sealed yet: not a fault", async () => {
    const more = [...base.events, syntheticEvent(121), syntheticEvent(122)];
    expect(fault(await check(more, base.links))).toBe("ok");
  });

  it("altered: an event's bytes changed", async () => {
    const events = base.events.map((e) =>
      e.n === 37 ? { ...e, data: new TextEncoder().encode('{"forged":true}') } : e,
    );
    const r = await check(events, base.links);
    expect(fault(r)).toEqual({ position: 37, kind: "altered" });
    expect(r).toMatchObject({ verified: 36, head: { size: 36, hash: base.links[35]?.hash } });
  });

  it("missing: an event gone from the log, a link gone from the chain, a link past the log's end", async () => {
    expect(
      fault(
        await check(
          base.events.filter((e) => e.n !== 37),
          base.links,
        ),
      ),
    ).toEqual({ position: 37, kind: "missing" });
    expect(
      fault(
        await check(
          base.events,
          base.links.filter((l) => l.n !== 37),
        ),
      ),
    ).toEqual({ position: 37, kind: "missing" });
    expect(fault(await check(base.events.slice(0, 100), base.links))).toEqual({ position: 101, kind: "missing" });
  });

  it("missing, not reordered: events removed from the log and the later ones renumbered (a recreated log)", async () => {
    const without = (...gone: number[]) =>
      base.events.filter((e) => !gone.includes(e.n)).map((e, i) => ({ ...e, n: i + 1 }));
    const one = await check(without(37), base.links);
    expect(fault(one)).toEqual({ position: 37, kind: "missing" });
    expect(one.ok || one.detail).toContain("the event sealed at 37 is gone from the log");
    const three = await check(without(37, 38, 39), base.links);
    expect(fault(three)).toEqual({ position: 37, kind: "missing" });
    expect(three.ok || three.detail).toContain("the events sealed at 37–39 are gone");
    // The event sealed at 37 moved later instead of gone: reordered.
    const moved = [
      ...base.events.slice(0, 36),
      ...base.events.slice(37, 41),
      base.events[36]!,
      ...base.events.slice(41),
    ].map((e, i) => ({ ...e, n: i + 1 }));
    expect(fault(await check(moved, base.links))).toEqual({ position: 37, kind: "reordered" });
  });

  it("inserted: an extra link or event claiming an earlier position, or an extra pair with later ones renumbered", async () => {
    const dupLink = [...base.links.slice(0, 40), base.links[4] as ChainLink, ...base.links.slice(40)];
    expect(fault(await check(base.events, dupLink))).toEqual({ position: 41, kind: "inserted" });
    const dupEvent = [...base.events.slice(0, 40), base.events[39] as LogEvent, ...base.events.slice(40)];
    expect(fault(await check(dupEvent, base.links))).toEqual({ position: 41, kind: "inserted" });
    // A forged event (with a link computed for it) slid in at 37, and every later item renumbered.
    const forged = syntheticEvent(999);
    const renumber = <T extends { n: number }>(list: T[], extraItem: T) => [
      ...list.slice(0, 36),
      { ...extraItem, n: 37 },
      ...list.slice(36).map((x) => ({ ...x, n: x.n + 1 })),
    ];
    const events = renumber(base.events, forged);
    const links = renumber(base.links, {
      ...base.links[36]!,
      event: new ChainHasher().event(forged),
      hash: "f".repeat(64),
    });
    expect(fault(await check(events, links, []))).toEqual({ position: 37, kind: "inserted" });
    // An extra link appended at the end for a position that exists.
    expect(fault(await check(base.events, [...base.links, { ...base.links[9]! }], []))).toEqual({
      position: 121,
      kind: "inserted",
    });
  });

  it("reordered: two events swapped in the log, two links swapped, two whole positions swapped and renumbered", async () => {
    const content = (i: number) => ({ subject: base.events[i]!.subject, data: base.events[i]!.data });
    const eventsSwapped = base.events.map((e, i) =>
      i === 36 ? { ...e, ...content(37) } : i === 37 ? { ...e, ...content(36) } : e,
    );
    expect(fault(await check(eventsSwapped, base.links))).toEqual({ position: 37, kind: "reordered" });
    expect(fault(await check(swap(base.events, 36, 38), base.links))).toEqual({ position: 37, kind: "reordered" });
    expect(fault(await check(base.events, swap(base.links, 36, 37)))).toEqual({ position: 37, kind: "reordered" });
    const renumbered = <T extends { n: number }>(list: T[]) => swap(list, 36, 37).map((x, i) => ({ ...x, n: i + 1 }));
    expect(fault(await check(renumbered(base.events), renumbered(base.links)))).toEqual({
      position: 37,
      kind: "reordered",
    });
  });

  it("forked: the event matches its link, but the link's hash does not follow from the previous one", async () => {
    const fork = resealFrom(base.events, 37, "ab".repeat(32));
    const r = await check(base.events, [...base.links.slice(0, 36), ...fork], []);
    expect(fault(r)).toEqual({ position: 37, kind: "forked" });
  });

  it("truncated: the chain ends before a signed checkpoint's size", async () => {
    const r = await check(base.events, base.links.slice(0, 80));
    expect(fault(r)).toEqual({ position: 81, kind: "truncated" });
    expect(r).toMatchObject({ verified: 80, head: { size: 80 } });
    expect(r.ok || r.detail).toContain("covers 100 links");
  });

  it("checkpoint_mismatch: a consistent rewrite of history still contradicts the signed head", async () => {
    const events = base.events.map((e) => (e.n === 30 ? { ...e, data: new TextEncoder().encode("rewritten") } : e));
    const links = [...base.links.slice(0, 29), ...resealFrom(events, 30, base.links[28]!.hash)];
    expect(fault(await check(events, links))).toEqual({ position: 50, kind: "checkpoint_mismatch" });
  });

  it("checkpoint_signature: a bad signature, an untrusted signer, a checkpoint with no size", async () => {
    const other = generateKeyPair();
    const cps = [...base.checkpoints];
    cps[1] = { ...cps[1]!, head: base.links[10]!.hash };
    expect(fault(await check(base.events, base.links, cps))).toEqual({ position: 50, kind: "checkpoint_signature" });
    const replaced = base.checkpoints.map((cp) => (cp.size === 75 ? signCheckpoint(other, cp) : cp));
    expect(fault(await check(base.events, base.links, replaced))).toBe("ok"); // valid, but by whom?
    const r = await check(base.events, base.links, replaced, { trustedSigners: [base.key.did] });
    expect(fault(r)).toEqual({ position: 75, kind: "checkpoint_signature" });
    expect(r.ok || r.detail).toContain(other.did);
    const forgedHead = base.checkpoints.map((cp) =>
      cp.size === 75 ? signCheckpoint(other, { ...cp, head: GENESIS }) : cp,
    );
    expect(fault(await check(base.events, base.links, forgedHead))).toEqual({
      position: 75,
      kind: "checkpoint_mismatch",
    });
    expect(fault(await check(base.events, base.links, [{ ...base.checkpoints[0]!, size: Number.NaN }]))).toEqual({
      position: 0,
      kind: "checkpoint_signature",
    });
  });

  it("from/to: starts from link from-1's stored hash (said in the report), or a given prevHash; stops at to", async () => {
    const r = await verifyChain({
      events: base.events.slice(59),
      links: base.links.slice(58),
      checkpoints: base.checkpoints,
      from: 60,
      to: 90,
    });
    expect(r).toMatchObject({
      ok: true,
      from: 60,
      verified: 31,
      head: { size: 90, hash: base.links[89]?.hash },
      trustedStart: { size: 59, hash: base.links[58]?.hash },
    });
    expect(r.checkpoints.checked).toBe(1); // 75; 100 lies past `to`
    const given = await verifyChain({
      events: base.events,
      links: base.links,
      from: 60,
      prevHash: base.links[58]!.hash,
    });
    expect(given).toMatchObject({ ok: true, verified: 61, head: { size: 120 } });
    const wrongStart = await verifyChain({
      events: base.events,
      links: base.links,
      checkpoints: base.checkpoints,
      from: 60,
      prevHash: "cd".repeat(32),
    });
    expect(fault(wrongStart)).toEqual({ position: 60, kind: "forked" });
    await expect(verifyChain({ events: base.events, links: base.links.slice(70), from: 60 })).rejects.toThrow(
      /needs link 59/,
    );
  });

  it("accepts async sources and reports progress", async () => {
    async function* gen<T>(list: T[]) {
      yield* list;
    }
    const seen: number[] = [];
    const r = await verifyChain({
      events: gen(base.events),
      links: gen(base.links),
      checkpoints: gen(base.checkpoints),
      onProgress: (n) => seen.push(n),
    });
    expect(r.ok).toBe(true);
    expect(seen.at(-1)).toBe(120);
  });

  it("the verifier's hasher computes chain.ts's hashes", () => {
    const h = new ChainHasher();
    for (const n of [1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])
      expect(h.link(base.links[0]!.hash, n, base.links[1]!.event)).toBe(
        linkHash(base.links[0]!.hash, n, base.links[1]!.event),
      );
    expect(h.link("zz", 1, base.links[1]!.event)).toBe("");
  });
});
