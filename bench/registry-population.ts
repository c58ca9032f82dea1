/**
 * Synthetic agents for the registry benchmark: deterministic cards drawn from a fixed vocabulary (50 capabilities,
 * 24 tags, ~200 description words, all Zipf-weighted so popular words match thousands of cards), the registry-signed
 * AgentJoined event of each, and their heartbeats.
 *
 * Identities: the first `activeCount` agents are real key pairs (they sign ACP traffic, see registry-traffic.ts);
 * the others are did:key strings of random 32-byte values, since nothing in the registry's read path uses their
 * keys and `generateKeyPair` costs ~0.5 ms each (50 s for 100,000).
 */
import { randomBytes } from "node:crypto";
import type { AgentCard } from "@plexus/anp";
import { beatKeyFor, encodeEvent, makeBeat, makeEvent } from "@plexus/anp/internal";
import { agentToken, newId } from "@plexus/core";
import { didFromPublicKey, generateKeyPair, type KeyPair } from "@plexus/identity";

export const CAPABILITIES = [
  "translate",
  "summarize",
  "classify",
  "extract-entities",
  "sentiment",
  "transcribe",
  "text-to-speech",
  "ocr",
  "image-caption",
  "image-generate",
  "object-detect",
  "face-blur",
  "video-summarize",
  "code-review",
  "code-generate",
  "test-generate",
  "sql-query",
  "data-clean",
  "forecast",
  "anomaly-detect",
  "recommend",
  "search",
  "rank",
  "crawl",
  "scrape",
  "schedule",
  "email-draft",
  "calendar",
  "invoice-parse",
  "contract-review",
  "compliance-check",
  "risk-score",
  "fraud-detect",
  "kyc-verify",
  "geocode",
  "route-plan",
  "weather",
  "price-quote",
  "inventory",
  "ship-track",
  "support-triage",
  "faq-answer",
  "chat",
  "moderate",
  "pii-redact",
  "embed",
  "cluster",
  "label",
  "qa-check",
  "notify",
] as const;

export const TAGS = [
  "nlp",
  "vision",
  "audio",
  "code",
  "data",
  "finance",
  "legal",
  "health",
  "retail",
  "logistics",
  "security",
  "eu",
  "us",
  "apac",
  "gpu",
  "cpu",
  "fast",
  "cheap",
  "accurate",
  "beta",
  "stable",
  "open-source",
  "enterprise",
  "realtime",
] as const;

/** Description words, most common first (drawn Zipf-weighted, so the first ones appear in thousands of cards). */
export const WORDS = (
  "documents reports customers data fast accurate multilingual secure realtime batch text images audio video invoices " +
  "contracts emails tickets orders products prices records tables charts forms receipts claims policies patients " +
  "shipments routes maps sensors logs metrics events alerts transactions accounts payments loans portfolios markets " +
  "news articles papers books manuals specs requirements tests builds releases services apis databases queries " +
  "schemas pipelines models embeddings vectors labels categories topics entities names addresses dates languages " +
  "english german french spanish japanese chinese arabic legal medical financial technical scientific commercial " +
  "industrial retail banking insurance healthcare logistics energy telecom media education government travel " +
  "hospitality automotive aerospace agriculture construction manufacturing pharma biotech gaming sports music " +
  "summaries translations answers insights forecasts scores rankings recommendations classifications extractions " +
  "detections transcripts captions redactions validations reconciliations notifications schedules quotes estimates " +
  "reliable scalable cheap private compliant audited explainable robust lightweight streaming offline incremental " +
  "parallel distributed cached verified signed encrypted anonymized structured unstructured noisy large small long " +
  "short daily hourly weekly european american asian global local regional enterprise startup research production " +
  "experimental stable beta preview certified supported maintained documented open proprietary hosted managed"
).split(" ");

const CAPABILITY_TEXT: Record<string, string> = Object.fromEntries(
  CAPABILITIES.map((c) => [c, `${c.replace(/-/g, " ")} for business workloads`]),
);

/** Mulberry32: a small seeded PRNG, so every run builds the same population and asks the same queries. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks indexes 0..n-1 with weight 1/(i+1)^s. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) cdf.push((sum += 1 / (i + 1) ** s));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function pickDistinct<T>(list: readonly T[], count: number, pick: () => number): T[] {
  const out = new Set<T>();
  while (out.size < count) out.add(list[pick()] as T);
  return [...out];
}

export interface SyntheticAgent {
  did: string;
  token: string;
  /** Only for the first `activeCount` agents. */
  key: KeyPair | undefined;
  card: AgentCard;
}

const DAY = 24 * 3600_000;

/** Agents 0..count-1, created on demand in index order (so a population can grow between stages). */
export class Population {
  readonly agents: SyntheticAgent[] = [];
  readonly #random: () => number;
  readonly #cap: () => number;
  readonly #tag: () => number;
  readonly #word: () => number;
  readonly #activeCount: number;

  constructor(options: { activeCount: number; seed?: number }) {
    this.#random = prng(options.seed ?? 42);
    this.#cap = zipf(CAPABILITIES.length, 0.8, this.#random);
    this.#tag = zipf(TAGS.length, 0.7, this.#random);
    this.#word = zipf(WORDS.length, 0.9, this.#random);
    this.#activeCount = options.activeCount;
  }

  /** Agents that sign traffic: the first min(activeCount, size) ones. */
  get active(): SyntheticAgent[] {
    return this.agents.slice(0, Math.min(this.#activeCount, this.agents.length));
  }

  /** Creates agents up to index count-1 and returns the new ones. */
  grow(count: number): SyntheticAgent[] {
    const start = this.agents.length;
    for (let i = start; i < count; i++) {
      const key = i < this.#activeCount ? generateKeyPair() : undefined;
      const did = key?.did ?? didFromPublicKey(randomBytes(32));
      this.agents.push({ did, token: agentToken(did), key, card: this.#card(i) });
    }
    return this.agents.slice(start);
  }

  #card(i: number): AgentCard {
    const r = this.#random;
    const caps = pickDistinct(CAPABILITIES, 1 + Math.floor(r() * 4), this.#cap);
    const words = Array.from({ length: 10 + Math.floor(r() * 9) }, () => WORDS[this.#word()] as string);
    return {
      name: `agent-${i}`,
      description: `${caps[0]?.replace(/-/g, " ")} agent: ${words.join(" ")}`,
      version: `1.${Math.floor(r() * 10)}.${Math.floor(r() * 20)}`,
      capabilities: caps.map((name) => ({
        name,
        description: `${CAPABILITY_TEXT[name]}, ${WORDS[this.#word()]} ${WORDS[this.#word()]}`,
        input: { type: "object", properties: { input: { type: "string" } } },
        output: { type: "object" },
      })),
      tags: pickDistinct(TAGS, 1 + Math.floor(r() * 3), this.#tag),
    };
  }

  /** When agent i joined: spread over the last 30 days (seniority, the tie-break of equal ranks). */
  joinedAt(i: number, now: number): number {
    return now - Math.floor(this.#random() * 30 * DAY) - (i % 1000);
  }
}

/** The AgentJoined event of one agent as the registry appends it: subject and encoded bytes. */
export function joinEvent(
  registry: KeyPair,
  mesh: string,
  agent: SyntheticAgent,
  at: number,
): { subject: string; data: Uint8Array } {
  const credential = { id: `urn:uuid:${newId()}`, issuedAt: at, expiresAt: at + 60 * DAY };
  const event = makeEvent(registry, "AgentJoined", agent.did, { card: agent.card, nonce: newId(), credential }, at);
  return { subject: `plexus.${mesh}.registry.AgentJoined.${agent.token}`, data: encodeEvent(event) };
}

/** Heartbeat makers for a set of agents (one HMAC key per agent, derived once). */
export function beatMaker(secret: Uint8Array, bucket: string, agents: readonly SyntheticAgent[]) {
  const keys = agents.map((a) => beatKeyFor(secret, a.did));
  const encoder = new TextEncoder();
  return (i: number, seq: number, ts = Date.now()): { subject: string; data: Uint8Array } => {
    const agent = agents[i % agents.length] as SyntheticAgent;
    const beat = makeBeat(keys[i % agents.length] as Uint8Array, agent.did, seq, ts);
    return { subject: `$KV.${bucket}.${agent.token}`, data: encoder.encode(JSON.stringify(beat)) };
  };
}
