import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { AgentCard, DiscoverQuery, DiscoverResult, Liveness, Reputation } from "@plexus/anp";
import { CardIndex, explorationSlots, rankDiscovery, tokenize } from "../src/discovery/index.js";
import type { Candidate, RankedAgentInfo } from "../src/discovery/index.js";
import { EvidenceLedger, computeReputation, neutralReputation } from "../src/reputation/index.js";
import type { ReputationBrief, ReputationTable } from "../src/reputation/index.js";

function card(name: string, capabilities: string[], description = "", tags: string[] = []): AgentCard {
  return { name, description, version: "1.0.0", capabilities: capabilities.map((c) => ({ name: c })), tags };
}

/** A table with fixed scores; agents not listed are neutral newcomers. */
function fixedTable(scores: Record<string, { score: number; newcomer: boolean }>): ReputationTable {
  return {
    at: 0,
    unanchored: false,
    brief: (did): ReputationBrief => ({ trust: 0, ...(scores[did] ?? { score: 0.5, newcomer: true }) }),
    get: (did): Reputation => ({ ...neutralReputation(did), ...(scores[did] ?? {}) }),
  };
}

function info(c: AgentCard, liveness: Liveness = "alive"): RankedAgentInfo {
  return { card: c, liveness, lastHeartbeat: 1000, credential: { status: "valid", id: "urn:uuid:1", expiresAt: 9e12 } };
}

/** A world of agents: did → card, liveness, score, newcomer. */
function world(
  agents: {
    did: string;
    caps?: string[];
    text?: string;
    liveness?: Liveness;
    score: number;
    newcomer?: boolean;
    senior?: number;
  }[],
) {
  const index = new CardIndex();
  const infos = new Map<string, RankedAgentInfo>();
  const scores: Record<string, { score: number; newcomer: boolean }> = {};
  for (const a of agents) {
    const c = card(a.did.replace(/[^A-Za-z0-9]/g, "-"), a.caps ?? ["work"], a.text ?? "");
    index.upsert(a.did, c, a.senior);
    infos.set(a.did, info(c, a.liveness));
    scores[a.did] = { score: a.score, newcomer: a.newcomer ?? false };
  }
  const table = fixedTable(scores);
  const discover = (q: DiscoverQuery, share?: number) =>
    rankDiscovery(q, index, (d) => infos.get(d), table, share === undefined ? {} : { explorationShare: share });
  return { index, infos, table, discover };
}

const dids = (rs: DiscoverResult[]) => rs.map((r) => r.did);

describe("tokenize", () => {
  it("lower-cases, splits on anything but letters and digits, drops 1-character words and repeats", () => {
    expect(tokenize("Translate EN→de, a PDF-to-text tool; x Übersetzung tool")).toEqual([
      "translate",
      "en",
      "de",
      "pdf",
      "to",
      "text",
      "tool",
      "übersetzung",
    ]);
  });
});

describe("CardIndex", () => {
  const build = () => {
    const index = new CardIndex();
    index.upsert("did:a", card("Alpha", ["translate", "summarize"], "Translates legal contracts", ["legal", "eu"]));
    index.upsert("did:b", card("Beta", ["translate"], "Translates weather reports", ["eu"]));
    index.upsert("did:c", card("Gamma", ["ocr"], "Reads weather maps and scanned reports", ["us"]));
    return index;
  };
  const all = (index: CardIndex, q: Parameters<CardIndex["candidates"]>[0]) =>
    index
      .candidates(q)
      .map((c) => c.did)
      .sort();

  it("filters exactly by capability and tag, intersecting both", () => {
    const index = build();
    expect(all(index, { capability: "translate" })).toEqual(["did:a", "did:b"]);
    expect(all(index, { tag: "eu" })).toEqual(["did:a", "did:b"]);
    expect(all(index, { capability: "translate", tag: "legal" })).toEqual(["did:a"]);
    expect(all(index, { capability: "transl" })).toEqual([]);
    expect(all(index, { capability: "ocr", tag: "eu" })).toEqual([]);
    expect(all(index, {})).toEqual(["did:a", "did:b", "did:c"]);
    expect(index.candidates({ capability: "translate" }).every((c) => c.relevance === 1)).toBe(true);
  });

  it("re-indexes on upsert and forgets on remove", () => {
    const index = build();
    index.upsert("did:a", card("Alpha", ["ocr"], "Now reads receipts"));
    expect(all(index, { capability: "translate" })).toEqual(["did:b"]);
    expect(all(index, { capability: "ocr" })).toEqual(["did:a", "did:c"]);
    expect(all(index, { q: "legal" })).toEqual([]);
    expect(index.documentFrequency("receipts")).toBe(1);
    expect(index.remove("did:a")).toBe(true);
    expect(index.remove("did:a")).toBe(false);
    expect(index.has("did:a")).toBe(false);
    expect(index.documentFrequency("receipts")).toBe(0);
    expect(all(index, { q: "receipts" })).toEqual([]);
    expect(index.size).toBe(2);
    index.upsert("did:d", card("Delta", ["ocr"], "Reads receipts"));
    expect(all(index, { capability: "ocr" })).toEqual(["did:c", "did:d"]);
  });

  it("scores free text by idf: rare words weigh more; a card matching no word is no candidate", () => {
    const index = build();
    const rel = (q: string) => Object.fromEntries(index.candidates({ q }).map((c) => [c.did, c.relevance]));
    const r = rel("legal weather");
    expect(Object.keys(r).sort()).toEqual(["did:a", "did:b", "did:c"]);
    // "legal" is in one card (and a tag of it), "weather" in two: the legal card ranks first.
    expect(r["did:a"]).toBeGreaterThan(r["did:b"] as number);
    expect(r["did:b"]).toBe(r["did:c"]);
    expect((r["did:a"] as number) + (r["did:b"] as number)).toBeCloseTo(1, 12);
    expect(rel("weather reports")["did:b"]).toBe(1);
    expect(rel("nothing-matches-this")).toEqual({});
  });

  it("matches a query word of 3+ characters as a prefix of indexed words", () => {
    const index = build();
    expect(all(index, { q: "transl" })).toEqual(["did:a", "did:b"]);
    expect(all(index, { q: "scan" })).toEqual(["did:c"]);
    expect(all(index, { q: "tr" })).toEqual([]);
  });

  it("gives the same relevance whether it scans a small filtered set or walks postings", () => {
    const index = new CardIndex();
    for (let i = 0; i < 200; i++) {
      const caps = i % 40 === 0 ? ["rare", "common"] : ["common"];
      index.upsert(`did:${i}`, card(`n${i}`, caps, `data word${i % 7} pipelines ${i % 3 === 0 ? "batch" : ""}`));
    }
    const q = "data batch word3 pipe";
    const filtered = index.candidates({ capability: "rare", q });
    const walked = new Map(index.candidates({ q }).map((c) => [c.did, c.relevance]));
    expect(filtered.length).toBe(5);
    for (const c of filtered) expect(c.relevance).toBe(walked.get(c.did));
  });

  it("hands out scores from the reputation table when given one", () => {
    const index = build();
    const table = fixedTable({ "did:a": { score: 0.9, newcomer: false } });
    const byDid = new Map(index.candidates({ capability: "translate" }, table).map((c) => [c.did, c]));
    expect(byDid.get("did:a")).toMatchObject({ score: 0.9, newcomer: false, relevance: 1 });
    expect(byDid.get("did:b")).toMatchObject({ score: 0.5, newcomer: true });
    // A card upserted after the scores were cached gets its score too.
    index.upsert("did:e", card("Epsilon", ["translate"]));
    expect(index.candidates({ capability: "translate" }, table).find((c) => c.did === "did:e")).toMatchObject({
      score: 0.5,
      newcomer: true,
    });
  });
});

describe("rankDiscovery", () => {
  it("sorts by relevance × score × liveness weight, then DID, and fills every result field", () => {
    const w = world([
      { did: "did:b", score: 0.8 },
      { did: "did:a", score: 0.8 },
      { did: "did:c", score: 0.9, liveness: "suspect" },
      { did: "did:d", score: 0.6 },
    ]);
    const rs = w.discover({ capability: "work" }, 0);
    expect(dids(rs)).toEqual(["did:a", "did:b", "did:d", "did:c"]);
    expect(rs[3]?.rank).toBeCloseTo(0.9 * 0.6, 12);
    expect(rs[0]).toMatchObject({
      name: "did-a",
      capabilities: ["work"],
      tags: [],
      score: 0.8,
      relevance: 1,
      newcomer: false,
      exploration: false,
    });
    expect(rs[0]).toMatchObject({
      liveness: "alive",
      lastHeartbeat: 1000,
      credential: { status: "valid", id: "urn:uuid:1", expiresAt: 9e12 },
    });
    expect(Object.keys(rs[0]?.factors ?? {})).toHaveLength(5);
  });

  it("leaves out offline and gone agents unless asked, and agents below minScore", () => {
    const w = world([
      { did: "did:up", score: 0.7 },
      { did: "did:off", score: 0.9, liveness: "offline" },
      { did: "did:gone", score: 0.9, liveness: "gone" },
      { did: "did:low", score: 0.2 },
    ]);
    expect(dids(w.discover({}, 0)).sort()).toEqual(["did:low", "did:up"]);
    // offline ranks 0.9 × 0.2 = 0.18, below "low" (0.2 × 1); gone 0.9 × 0.05.
    expect(dids(w.discover({ includeOffline: true }, 0))).toEqual(["did:up", "did:low", "did:off", "did:gone"]);
    expect(dids(w.discover({ minScore: 0.5 }, 0))).toEqual(["did:up"]);
  });

  it("applies the limit: default 20, at most 1000, 0 gives nothing, a negative limit is refused", () => {
    const w = world(
      Array.from({ length: 1200 }, (_, i) => ({ did: `did:${String(i).padStart(4, "0")}`, score: (i % 97) / 97 })),
    );
    expect(w.discover({})).toHaveLength(20);
    expect(w.discover({ limit: 5000 })).toHaveLength(1000);
    expect(w.discover({ limit: 0 })).toEqual([]);
    expect(() => w.discover({ limit: -1 })).toThrow(/limit/);
  });

  it("never lets newcomers push established agents out of the protected places; they get the exploration slots", () => {
    const agents = [
      ...Array.from({ length: 30 }, (_, i) => ({ did: `did:est:${String(i).padStart(2, "0")}`, score: 0.3 + i / 100 })),
      ...Array.from({ length: 10 }, (_, i) => ({ did: `did:new:${i}`, score: 0.95 - i / 100, newcomer: true })),
    ];
    const w = world(agents);
    const rs = w.discover({ limit: 10 });
    expect(rs).toHaveLength(10);
    expect(rs.slice(0, 9).every((r) => !r.newcomer && !r.exploration)).toBe(true);
    expect(dids(rs.slice(0, 9))).toEqual(Array.from({ length: 9 }, (_, i) => `did:est:${29 - i}`));
    expect(rs[9]).toMatchObject({ did: "did:new:0", newcomer: true, exploration: true });
    const twenty = w.discover({ limit: 20 });
    expect(twenty.filter((r) => r.exploration).map((r) => r.did)).toEqual(["did:new:0", "did:new:1"]);
    expect(twenty.slice(0, 18).every((r) => !r.newcomer)).toBe(true);
  });

  it("fills places established agents cannot fill with newcomers on merit, then the exploration slots", () => {
    const w = world([
      { did: "did:est:1", score: 0.4 },
      { did: "did:est:2", score: 0.3 },
      ...Array.from({ length: 10 }, (_, i) => ({ did: `did:new:${i}`, score: 0.9 - i / 20, newcomer: true })),
    ]);
    const rs = w.discover({ limit: 10 });
    expect(rs).toHaveLength(10);
    // 9 ranked places: both established agents and the 7 best newcomers, by rank; then 1 exploration slot.
    expect(dids(rs.slice(0, 9))).toEqual([
      "did:new:0",
      "did:new:1",
      "did:new:2",
      "did:new:3",
      "did:new:4",
      "did:new:5",
      "did:new:6",
      "did:est:1",
      "did:est:2",
    ]);
    expect(rs.slice(0, 9).every((r) => !r.exploration)).toBe(true);
    expect(rs[9]).toMatchObject({ did: "did:new:7", exploration: true });
  });

  it("shows no newcomers when exploration is off and established agents fill the list", () => {
    const w = world([
      ...Array.from({ length: 5 }, (_, i) => ({ did: `did:e${i}`, score: 0.5 })),
      { did: "did:n", score: 1, newcomer: true },
    ]);
    expect(w.discover({ limit: 5 }, 0).some((r) => r.newcomer)).toBe(false);
    // A free place: the newcomer takes it on merit (ranked among the others, no established agent left out).
    const six = w.discover({ limit: 6 }, 0);
    expect(six[0]).toMatchObject({ did: "did:n", exploration: false });
    expect(six.filter((r) => !r.newcomer)).toHaveLength(5);
  });

  it("bounds the exploration slots by ceil(limit × share), at least one", () => {
    expect(explorationSlots(20, 0.1)).toBe(2);
    expect(explorationSlots(30, 0.1)).toBe(3);
    expect(explorationSlots(1, 0.1)).toBe(1);
    expect(explorationSlots(10, 1)).toBe(10);
    expect(explorationSlots(0, 0.1)).toBe(0);
    expect(explorationSlots(20, 0)).toBe(0);
    expect(() => explorationSlots(20, 1.5)).toThrow(/explorationShare/);
    const w = world(Array.from({ length: 100 }, (_, i) => ({ did: `did:${i}`, score: 0.5, newcomer: i % 2 === 0 })));
    for (const limit of [1, 7, 20, 33]) {
      const rs = w.discover({ limit });
      expect(rs.filter((r) => r.exploration).length).toBe(explorationSlots(limit, 0.1));
      expect(rs.filter((r) => r.newcomer).length).toBe(explorationSlots(limit, 0.1));
    }
  });

  it("ranks by text relevance: the card matching the rarer word comes first", () => {
    const w = world([
      { did: "did:common", text: "weather forecasts", score: 0.8 },
      { did: "did:rare", text: "hail forecasts", score: 0.8 },
      ...Array.from({ length: 20 }, (_, i) => ({ did: `did:w${i}`, text: "weather", score: 0.8 })),
    ]);
    const rs = w.discover({ q: "hail weather" }, 0);
    expect(rs[0]?.did).toBe("did:rare");
    expect(rs[0]?.relevance).toBeGreaterThan(rs[1]?.relevance as number);
  });

  it("agrees with a full sort, whatever the candidate order and whether given the index or a list", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const livenesses: Liveness[] = ["alive", "alive", "alive", "suspect", "offline"];
    const agents = Array.from({ length: 600 }, (_, i) => ({
      did: `did:${Math.floor(rnd() * 1e9)}:${i}`,
      score: Math.round(rnd() * 20) / 20,
      newcomer: rnd() < 0.3,
      liveness: livenesses[i % 5] as Liveness,
      text: rnd() < 0.5 ? "alpha beta" : "beta gamma delta",
    }));
    const w = world(agents);
    const query: DiscoverQuery = { q: "alpha delta", limit: 25 };
    const fromIndex = w.discover(query);
    const list: Candidate[] = w.index.candidates(query).reverse();
    const fromList = rankDiscovery(query, list, (d) => w.infos.get(d), w.table);
    expect(fromList).toEqual(fromIndex);
    expect(w.discover(query)).toEqual(fromIndex);
    // Reference: score everything, sort fully, then apply the placement rule.
    const weight: Record<Liveness, number> = { alive: 1, suspect: 0.6, offline: 0.2, gone: 0.05 };
    const all = list
      .map((c) => {
        const b = w.table.brief(c.did);
        const l = w.infos.get(c.did)?.liveness as Liveness;
        return { did: c.did, newcomer: b.newcomer, l, rank: c.relevance * b.score * weight[l] };
      })
      .filter((e) => e.l !== "offline")
      .sort((a, b) => b.rank - a.rank || (a.did < b.did ? -1 : 1));
    const est = all.filter((e) => !e.newcomer);
    const nov = all.filter((e) => e.newcomer);
    expect(est.length).toBeGreaterThan(25);
    expect(dids(fromIndex)).toEqual([...est.slice(0, 22), ...nov.slice(0, 3)].map((e) => e.did));
  });

  it("breaks equal ranks by seniority, then DID, exactly as a full sort would (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            score: fc.constantFrom(0.5, 0.5, 0.5, 0.7),
            senior: fc.integer({ min: 0, max: 5 }),
            newcomer: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 30 }),
        (agents, limit) => {
          const named = agents.map((a, i) => ({ ...a, did: `did:${(i * 7919) % 1000}:${i}` }));
          const w = world(named);
          const seniority = new Map(named.map((a) => [a.did, a.senior]));
          const query: DiscoverQuery = { capability: "work", limit };
          const rs = rankDiscovery(query, w.index, (d) => w.infos.get(d), w.table, { explorationShare: 0 });
          // A list without seniorities asks the callback instead, and agrees.
          const list = w.index.candidates(query).map(({ did, relevance }) => ({ did, relevance }));
          expect(
            rankDiscovery(query, list, (d) => w.infos.get(d), w.table, {
              explorationShare: 0,
              seniority: (d) => seniority.get(d) as number,
            }),
          ).toEqual(rs);
          const order = (list: typeof named) =>
            [...list].sort((a, b) => b.score - a.score || a.senior - b.senior || (a.did < b.did ? -1 : 1));
          const est = order(named.filter((a) => !a.newcomer));
          const expected = (
            est.length >= limit
              ? est
              : order([...est, ...order(named.filter((a) => a.newcomer)).slice(0, limit - est.length)])
          ).slice(0, limit);
          expect(dids(rs)).toEqual(expected.map((a) => a.did));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("lists a senior agent before a whole crowd of newer identities at the same score", () => {
    const crowd = Array.from({ length: 40 }, (_, i) => ({ did: `did:0${i}`, score: 0.5, newcomer: true, senior: 2 }));
    const w = world([...crowd, { did: "did:zz-honest", score: 0.5, newcomer: true, senior: 1 }]);
    const rs = w.discover({ capability: "work", limit: 5 });
    expect(rs[0]?.did).toBe("did:zz-honest");
  });

  it("ranks agents of a computed reputation table (Sybil newcomers only in exploration slots)", () => {
    const ledger = new EvidenceLedger({ halfLifeMs: 3_600_000 });
    const anchors = ["did:anchor:1", "did:anchor:2"];
    for (let i = 0; i < 10; i++) for (const a of anchors) ledger.rate(a, "did:honest", "quality", 0.8, i * 10);
    for (let i = 0; i < 5; i++)
      for (let k = 0; k < 5; k++) if (i !== k) ledger.rate(`did:sybil:${i}`, `did:sybil:${k}`, "quality", 1, 100 + i);
    const agents = ["did:honest", ...anchors, ...Array.from({ length: 5 }, (_, i) => `did:sybil:${i}`)];
    const table = computeReputation(ledger, agents, new Set(anchors), 200, { halfLifeMs: 3_600_000 });
    const index = new CardIndex();
    const infos = new Map<string, RankedAgentInfo>();
    for (const did of agents) {
      const c = card("agent", ["translate"]);
      index.upsert(did, c);
      infos.set(did, info(c));
    }
    const rs = rankDiscovery({ capability: "translate", limit: 3 }, index, (d) => infos.get(d), table);
    expect(rs[0]).toMatchObject({ did: "did:honest", newcomer: false, exploration: false });
    expect(rs.filter((r) => r.did.startsWith("did:sybil")).every((r) => r.exploration)).toBe(true);
    expect(rs.filter((r) => r.exploration)).toHaveLength(1);
  });
});
