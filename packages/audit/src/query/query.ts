/**
 * Queries over the mesh's log: envelopes (and the rejection and dead-letter records that concern them) by agent,
 * conversation, type and time, each with its position and, once sealed, its link hash. Oldest first.
 */
import { agentToken } from "@plexus/core";
import type { AuditStore, ChainLink, LogEvent } from "../types.js";
import { Cursor, type Source } from "../verify/cursor.js";
import { factsOf, type AuditRecordKind, type Facts } from "./record.js";

export interface QueryOptions {
  events: Source<LogEvent>;
  /** The chain over the same positions, to attach each match's link hash (optional). */
  links?: Source<ChainLink>;
  /** A DID: matches its envelopes as sender or recipient, and records that name it. */
  agent?: string;
  conversation?: string;
  /** Envelope type (e.g. acp.message, acp.receipt, or an application type). */
  type?: string;
  /** Stored at or after (ms since the epoch). */
  since?: number;
  /** Stored at or before. */
  until?: number;
  /** At most this many matches. */
  limit?: number;
}

export interface AuditMatch extends Omit<Facts, "agents"> {
  n: number;
  subject: string;
  storedAt: number;
  /** h_n, when the position is sealed (and links were given). */
  hash?: string;
  kind: AuditRecordKind;
  agents: string[];
}

export async function* queryAudit(options: QueryOptions): AsyncGenerator<AuditMatch> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) return;
  const events = new Cursor(options.events);
  const links = options.links ? new Cursor(options.links) : undefined;
  const needle = options.agent !== undefined ? agentNeedle(options.agent) : undefined;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  let found = 0;
  try {
    for (;;) {
      if (events.needs(0)) await events.fill();
      const e = events.peek(0);
      if (!e) return;
      events.advance();
      if (e.storedAt > until) return;
      if (options.since !== undefined && e.storedAt < options.since) continue;
      if (needle && !e.subject.includes(needle) && !contains(e.data, needle)) continue;
      const facts = factsOf(e.data);
      if (!matches(facts, options)) continue;
      const hash = links ? await hashAt(links, e.n) : undefined;
      yield { n: e.n, subject: e.subject, storedAt: e.storedAt, ...(hash !== undefined ? { hash } : {}), ...facts };
      if (++found >= limit) return;
    }
  } finally {
    await Promise.allSettled([events.close(), links?.close()]);
  }
}

function matches(f: Facts, o: QueryOptions): boolean {
  if (o.agent !== undefined && !f.agents.includes(o.agent)) return false;
  if (o.conversation !== undefined && f.conversation !== o.conversation) return false;
  if (o.type !== undefined && f.type !== o.type) return false;
  return true;
}

/** What to look for in the raw bytes before parsing: a did:key's token also appears in subjects. */
function agentNeedle(did: string): string {
  try {
    return agentToken(did);
  } catch {
    return did;
  }
}

const encoder = new TextEncoder();
function contains(data: Uint8Array, text: string): boolean {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(encoder.encode(text)) >= 0;
}

async function hashAt(links: Cursor<ChainLink>, n: number): Promise<string | undefined> {
  for (;;) {
    if (links.needs(0)) await links.fill();
    const l = links.peek(0);
    if (!l || l.n > n) return undefined;
    if (l.n === n) return l.hash;
    links.advance();
  }
}

/**
 * The first position stored at or after `time`, by binary search over the chain's links (their storedAt is the mesh
 * stream's time, which does not go backwards); `head.size + 1` when every sealed event is older.
 */
export async function positionAt(store: Pick<AuditStore, "head" | "link">, time: number): Promise<number> {
  let lo = 1;
  let hi = (await store.head()).size + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const link = await store.link(mid);
    if (link !== undefined && link.storedAt < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
