/**
 * Discovery latency of one running registry node: in-process (`node.queries.discover`) and over HTTP (sequential
 * `fetch` of `/v1/discover`), for one fixed, seeded mix of queries with limit 20:
 *   capability only · capability + text · tag + minScore 0.5 · text only (two words, one of them a prefix).
 * Baselines in the same run: a naive full scan + sort over all agents for the capability-only queries (what the
 * index saves), and `GET /healthz` on the same server (the HTTP stack's floor).
 */
import type { DiscoverQuery } from "@plexus/anp";
import type { RegistryNode } from "@plexus/registry";
import { now, percentile, round } from "./lib.js";
import { CAPABILITIES, TAGS, WORDS, prng, zipf } from "./registry-population.js";

export const QUERY_KINDS = ["capability", "capability_text", "tag_min_score", "text"] as const;
type Kind = (typeof QUERY_KINDS)[number];
const LIMIT = 20;
const WARMUP = 200;

interface Query {
  kind: Kind;
  query: DiscoverQuery;
}

/** Query words: the description words of rank 20..99, each in roughly 2-10% of the cards. */
const WORD_BAND = [20, 100] as const;

/**
 * The mix, kinds in turn. Capabilities and tags are drawn as the population draws them (Zipf: the most popular
 * capability is on about a third of the cards); text words from WORD_BAND, so a text query matches thousands of
 * cards at 100,000 agents, and a two-word one (OR) more.
 */
export function queryMix(count: number, seed = 5): Query[] {
  const r = prng(seed);
  const cap = zipf(CAPABILITIES.length, 0.8, r);
  const tag = zipf(TAGS.length, 0.7, r);
  const word = () => WORDS[WORD_BAND[0] + Math.floor(r() * (WORD_BAND[1] - WORD_BAND[0]))] as string;
  return Array.from({ length: count }, (_, i): Query => {
    const kind = QUERY_KINDS[i % QUERY_KINDS.length] as Kind;
    switch (kind) {
      case "capability":
        return { kind, query: { capability: CAPABILITIES[cap()], limit: LIMIT } };
      case "capability_text":
        return { kind, query: { capability: CAPABILITIES[cap()], q: word(), limit: LIMIT } };
      case "tag_min_score":
        return { kind, query: { tag: TAGS[tag()], minScore: 0.5, limit: LIMIT } };
      case "text":
        return { kind, query: { q: `${word()} ${word().slice(0, 4)}`, limit: LIMIT } };
    }
  });
}

export interface Latencies {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function summarise(samples: number[]): Latencies {
  const s = samples.slice().sort((a, b) => a - b);
  return {
    p50_ms: round(percentile(s, 50), 3),
    p99_ms: round(percentile(s, 99), 3),
    max_ms: round(s.at(-1) ?? Number.NaN, 3),
  };
}

/** Runs `f` for each item sequentially, timing each call, until the items or `budgetMs` run out. */
async function timeEach<T>(items: readonly T[], budgetMs: number, f: (item: T) => unknown): Promise<number[]> {
  const out: number[] = [];
  const end = now() + budgetMs;
  for (const item of items) {
    const t = now();
    await f(item);
    out.push(now() - t);
    if (t > end) break;
  }
  return out;
}

export function discoverUrl(base: string, q: DiscoverQuery): string {
  const p = new URLSearchParams();
  if (q.capability !== undefined) p.set("capability", q.capability);
  if (q.q !== undefined) p.set("q", q.q);
  if (q.tag !== undefined) p.set("tag", q.tag);
  if (q.minScore !== undefined) p.set("min_score", String(q.minScore));
  if (q.limit !== undefined) p.set("limit", String(q.limit));
  return `${base}/v1/discover?${p}`;
}

/** Requests that failed at the socket and were sent again (the retry's time counts in the latency). */
let retried = 0;

async function getJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch {
    // A keep-alive socket the server closed as the request went out (both ends share this event loop).
    retried += 1;
    res = await fetch(url);
  }
  const body = await res.json();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** What a registry without indexes would do for a capability query: look at every agent, rank, sort, cut. */
function naiveDiscover(node: RegistryNode, capability: string): string[] {
  const { table } = node.queries.table();
  const found: { did: string; rank: number }[] = [];
  for (const r of node.state.agents.values()) {
    if (!r.present || r.liveness === "offline" || r.liveness === "gone") continue;
    if (!r.card.capabilities.some((c) => c.name === capability)) continue;
    found.push({ did: r.did, rank: table.brief(r.did).score * (r.liveness === "alive" ? 1 : 0.6) });
  }
  found.sort((a, b) => b.rank - a.rank || (a.did < b.did ? -1 : 1));
  return found.slice(0, LIMIT).map((f) => f.did);
}

export interface DiscoveryCounts {
  queries: number;
  http_queries: number;
  naive_queries: number;
  /** Each measured series stops after this long even if it has not run all its queries (reported as the count). */
  budget_ms: number;
}

/** Measures one node (which must be ready, with HTTP on). */
export async function measureDiscovery(node: RegistryNode, counts: DiscoveryCounts) {
  // The reputation table: the first computation, then three more at later query times (warm).
  let t = now();
  const { table } = node.queries.table();
  const tableColdMs = now() - t;
  const warm: number[] = [];
  for (let k = 1; k <= 3; k++) {
    t = now();
    node.queries.table(table.at + k * 1_000);
    warm.push(now() - t);
  }
  const mix = queryMix(WARMUP + counts.queries);
  const warmup = mix.slice(0, WARMUP);
  const queries = mix.slice(WARMUP);
  let results = 0;
  for (const { query } of warmup) results += node.queries.discover(query).result.length;
  const matched = Object.fromEntries(QUERY_KINDS.map((k) => [k, { sum: 0, n: 0 }]));
  for (const { kind, query } of queries.slice(0, 200)) {
    const m = matched[kind] as { sum: number; n: number };
    m.sum += node.state.cards.candidates(query).length;
    m.n += 1;
  }

  const inProcess = await timeEach(
    queries,
    counts.budget_ms,
    ({ query }) => (results += node.queries.discover(query).result.length),
  );
  const byKind = Object.fromEntries(
    QUERY_KINDS.map((k) => [k, summarise(inProcess.filter((_, i) => queries[i]?.kind === k))]),
  );

  const capQueries = queries.filter((q) => q.kind === "capability");
  const naive = await timeEach(capQueries.slice(0, counts.naive_queries), counts.budget_ms, ({ query }) =>
    naiveDiscover(node, query.capability as string),
  );
  const indexedCap = inProcess.filter((_, i) => queries[i]?.kind === "capability");

  const base = node.httpUrl;
  if (!base) throw new Error("the node serves no HTTP");
  retried = 0;
  const httpQueries = queries.slice(0, counts.http_queries);
  for (const { query } of warmup.slice(0, 50)) await getJson(discoverUrl(base, query));
  for (let i = 0; i < 50; i++) await getJson(`${base}/healthz`);
  const healthz = await timeEach(httpQueries, counts.budget_ms, () => getJson(`${base}/healthz`));
  const http = await timeEach(httpQueries, counts.budget_ms, ({ query }) => getJson(discoverUrl(base, query)));

  return {
    reputation_table_ms: round(tableColdMs, 1),
    reputation_table_warm_ms: round(Math.min(...warm), 1),
    in_process: summarise(inProcess),
    in_process_by_kind: byKind,
    in_process_capability: summarise(indexedCap),
    naive_scan_capability: summarise(naive),
    http: summarise(http),
    http_healthz: summarise(healthz),
    http_retried: retried,
    avg_results: round(results / (WARMUP + inProcess.length), 1),
    avg_candidates_by_kind: Object.fromEntries(
      Object.entries(matched).map(([k, m]) => [k, Math.round(m.sum / Math.max(1, m.n))]),
    ),
    queries: inProcess.length,
    http_queries: http.length,
    naive_queries: naive.length,
  };
}
