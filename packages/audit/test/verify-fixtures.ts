/** Synthetic chains for the verify, export and query tests: events, links sealed with makeLink, signed checkpoints. */
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { GENESIS, makeLink } from "../src/chain.js";
import { signCheckpoint } from "../src/sealer/checkpoint.js";
import type { ChainLink, Checkpoint, LogEvent } from "../src/types.js";

export interface Chain {
  events: LogEvent[];
  links: ChainLink[];
  checkpoints: Checkpoint[];
  key: KeyPair;
}

const TOKEN_A = `z6Mk${"a".repeat(44)}`;
const TOKEN_B = `z6Mk${"b".repeat(44)}`;
export const DID_A = `did:key:${TOKEN_A}`;
export const DID_B = `did:key:${TOKEN_B}`;

/** An envelope-shaped payload (not signed for real: the chain does not care). */
export function envelopeBytes(i: number, extra: Record<string, unknown> = {}): Uint8Array {
  const from = i % 2 === 0 ? DID_A : DID_B;
  const to = i % 2 === 0 ? DID_B : DID_A;
  const env = {
    v: 1,
    id: `01J${String(i).padStart(23, "0")}`,
    from,
    to,
    conversation: `c-${i % 5}`,
    type: i % 3 === 0 ? "acp.receipt" : "acp.message",
    body: { i },
    ts: 1_700_000_000_000 + i,
    seq: i,
    sig: "x".repeat(86),
    ...extra,
  };
  return new TextEncoder().encode(JSON.stringify(env));
}

export function syntheticEvent(n: number, storedAt = 1_700_000_000_000 + n * 1000): LogEvent {
  const i = n;
  const [to, from] = i % 2 === 0 ? [TOKEN_B, TOKEN_A] : [TOKEN_A, TOKEN_B];
  return { n, subject: `plexus.t.acp.inbox.${to}.${from}`, data: envelopeBytes(i), storedAt };
}

/** `count` events sealed in order, a checkpoint every `checkpointEvery` links, signed by `key`. */
export function syntheticChain(count: number, options: { checkpointEvery?: number; key?: KeyPair } = {}): Chain {
  const key = options.key ?? generateKeyPair();
  const every = options.checkpointEvery ?? 0;
  const events: LogEvent[] = [];
  const links: ChainLink[] = [];
  const checkpoints: Checkpoint[] = [];
  let prev = GENESIS;
  for (let n = 1; n <= count; n++) {
    const e = syntheticEvent(n);
    const link = makeLink(prev, e);
    events.push(e);
    links.push(link);
    prev = link.hash;
    if (every > 0 && n % every === 0) checkpoints.push(signCheckpoint(key, { size: n, head: prev, at: e.storedAt }));
  }
  return { events, links, checkpoints, key };
}

/** Links sealed anew from position `from` on top of `prev`, for the given events (a consistent rewrite or a fork). */
export function resealFrom(events: LogEvent[], from: number, prev: string): ChainLink[] {
  const out: ChainLink[] = [];
  for (const e of events.filter((x) => x.n >= from)) {
    const link = makeLink(prev, e);
    out.push(link);
    prev = link.hash;
  }
  return out;
}
