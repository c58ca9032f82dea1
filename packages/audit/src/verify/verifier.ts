/**
 * The verifier: walks positions in order, recomputes every event hash and link hash from the raw events, checks each
 * signed checkpoint in range, and names the first bad position and its kind. Works on any source of events and
 * links: the live stores (readMeshLog + AuditStore.links) or an export file (readExport).
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import { GENESIS } from "../chain.js";
import type { ChainHead, ChainLink, Checkpoint, LogEvent } from "../types.js";
import { CheckpointPlan, type CheckpointFaultKind, type CheckpointSummary } from "./checkpoints.js";
import { classify, type ChainFaultKind } from "./classify.js";
import { Cursor, type Source } from "./cursor.js";
import { ChainHasher, isHash } from "./hashing.js";
import { LeafHasher } from "../merkle/hash.js";
import { LinkMaker } from "../sealer/link-maker.js";
import { DigestTree } from "./digest-tree.js";
import type { WitnessFaultKind } from "../witness/against-log.js";

/** The last three only from checks against witnesses and checkpoint coverage (witness/against-log.ts). */
export type VerifyFaultKind = ChainFaultKind | CheckpointFaultKind | WitnessFaultKind;

export interface VerifyOptions {
  events: Source<LogEvent>;
  links: Source<ChainLink>;
  checkpoints?: Checkpoint[] | AsyncIterable<Checkpoint>;
  /** First position to verify (default 1). */
  from?: number;
  /** Last position to verify (default: the end of `links`). */
  to?: number;
  /**
   * h_{from-1}, trusted as given (an export's `prevHash`). Without it, `from > 1` takes the stored hash of link
   * from-1 from `links` (which must then start at from-1). Ignored when from is 1 (h_0 is GENESIS).
   */
  prevHash?: string;
  /** When given, a checkpoint signed by anyone else fails as checkpoint_signature. */
  trustedSigners?: string[];
  /**
   * Recompute the Merkle tree (from position 1) and compare each checkpoint's signed root with it (default true).
   * It doubles the hashing (a leaf hash and, on average, one interior node per event); false checks the chain heads
   * and the notes' signatures only.
   */
  checkRoots?: boolean;
  /** Called with the number of positions verified so far, every few thousand and at the end. */
  onProgress?(verified: number): void;
  /**
   * Positions from…N have no stored links to compare (`links` then starts at N+1): the walk recomputes the chain from
   * the events there and checks it against the signed checkpoints alone (the live fast path, fast-path.ts). A fault
   * in that part is named only roughly (the caller then runs the full comparison); a checkpoint of size ≥ N must
   * exist, or nothing vouches for those positions (verifyChain refuses).
   */
  recomputedThrough?: number;
}

interface ReportBase {
  from: number;
  /** Positions verified and found sound. */
  verified: number;
  /** The last sound position and its hash (from-1 and the start hash when none was). */
  head: ChainHead;
  /** With from > 1: the hash the walk started from, taken on trust (not recomputed). */
  trustedStart?: ChainHead;
  checkpoints: CheckpointSummary;
}

export type VerifyReport =
  | (ReportBase & { ok: true })
  | (ReportBase & { ok: false; position: number; kind: VerifyFaultKind; detail: string });

/** How far ahead the walk looks to tell reordered and inserted items from altered ones. */
const WINDOW = 16;
const PROGRESS_EVERY = 16_384;

export async function verifyChain(options: VerifyOptions): Promise<VerifyReport> {
  const from = options.from ?? 1;
  const to = options.to;
  if (!Number.isSafeInteger(from) || from < 1)
    throw new PlexusError(ErrorCode.InvalidArgument, `from must be a position ≥ 1, got ${from}`);
  if (to !== undefined && (!Number.isSafeInteger(to) || to < from - 1))
    throw new PlexusError(ErrorCode.InvalidArgument, `to must be a position ≥ from - 1, got ${to}`);
  const checkpoints = await collect(options.checkpoints ?? []);
  // Both cursors start their sources now: sources sharing one reader (an export file) see both consumers from the start.
  const links = new Cursor(options.links);
  const events = new Cursor(options.events);
  try {
    const recomputed = options.recomputedThrough ?? 0;
    if (recomputed > 0 && (from !== 1 || !checkpoints.some((cp) => cp.size >= recomputed))) {
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `recomputedThrough needs from = 1 and a checkpoint of size ≥ ${recomputed}`,
      );
    }
    const start = await startHash(from, options.prevHash, links, events, recomputed);
    const plan = new CheckpointPlan(checkpoints, from, to, options.trustedSigners);
    return await walk({
      from,
      to,
      start,
      plan,
      links,
      events,
      recomputed,
      onProgress: options.onProgress,
      checkRoots: options.checkRoots !== false,
    });
  } finally {
    await Promise.allSettled([links.close(), events.close()]);
  }
}

interface WalkState {
  from: number;
  to: number | undefined;
  start: string;
  plan: CheckpointPlan;
  links: Cursor<ChainLink>;
  events: Cursor<LogEvent>;
  /** Positions ≤ this have no stored links: recomputed and checked against the checkpoints only. */
  recomputed: number;
  onProgress: ((verified: number) => void) | undefined;
  checkRoots: boolean;
}

async function walk(s: WalkState): Promise<VerifyReport> {
  const { from, links, events, plan } = s;
  const hasher = new ChainHasher();
  const last = s.to ?? Number.MAX_SAFE_INTEGER;
  let prev = s.start;
  let k = from;
  /** The report with positions from…through sound. */
  const report = (through: number): ReportBase => ({
    from,
    verified: through - from + 1,
    head: { size: through, hash: prev },
    ...(from > 1 ? { trustedStart: { size: from - 1, hash: s.start } } : {}),
    checkpoints: plan.summary,
  });
  const fail = (position: number, kind: VerifyFaultKind, detail: string, through = k - 1): VerifyReport => ({
    ...report(through),
    ok: false,
    position,
    kind,
    detail,
  });

  // The Merkle tree, recomputed when checkpoints carry roots and the walk starts at position 1 (one more hash per event).
  const tree = s.checkRoots && from === 1 && plan.hasRoots ? new DigestTree() : undefined;
  const root = tree && (() => tree.root());
  const anchor = plan.check(from - 1, prev, root);
  if (anchor) return fail(from - 1, anchor.kind, anchor.detail);
  // The sealer's link computation (one-shot hashes over reused buffers), recomputing h_k from h_{k-1} = prev; the
  // Merkle leaf hashes apart, as latin1 strings for the tree (half the cost of the sealer's Buffer per digest).
  const maker = new LinkMaker(prev, false);
  const leaves = new LeafHasher();
  for (; k <= last; k++) {
    if (events.needs(WINDOW)) await events.ensure(WINDOW);
    const event = events.peek(0);
    let h: string;

    if (k <= s.recomputed) {
      if (event === undefined || event.n !== k) {
        return fail(
          k,
          event !== undefined && event.n < k ? "inserted" : "missing",
          `event ${k} is not where the log should have it (position ${event?.n ?? "none"} instead)`,
        );
      }
      h = maker.next(event).hash;
    } else {
      if (links.needs(WINDOW)) await links.ensure(WINDOW);
      const link = links.peek(0);
      if (link === undefined) break;
      h = "";
      if (event !== undefined && link.n === k && event.n === k) {
        const computed = maker.next(event);
        if (computed.event === link.event) h = computed.hash;
      }
      if (h === "" || h !== link.hash) {
        // Classifying compares up to 2·WINDOW links ahead (an event moved up by the removal of up to WINDOW others).
        await Promise.all([links.ensure(2 * WINDOW), events.ensure(WINDOW)]);
        const f = classify({ k, prev, links, events, hasher, window: WINDOW });
        return fail(k, f.kind, f.detail);
      }
      links.advance();
    }
    prev = h;
    if (tree) tree.push(leaves.latin1(event!.subject, event!.data));
    events.advance();
    if (plan.nextSize <= k) {
      const bad = plan.check(k, h, root);
      if (bad) return fail(k, bad.kind, bad.detail, k);
    }
    if ((k - from + 1) % PROGRESS_EVERY === 0) s.onProgress?.(k - from + 1);
  }
  s.onProgress?.(k - from);
  const cut = plan.atEnd(k - 1);
  if (cut) return fail(cut.position, cut.finding.kind, cut.finding.detail);
  return { ...report(k - 1), ok: true };
}

/** h_{from-1}: GENESIS, the given prevHash, or link from-1's stored hash. Skips items before the range. */
async function startHash(
  from: number,
  prevHash: string | undefined,
  links: Cursor<ChainLink>,
  events: Cursor<LogEvent>,
  recomputed: number,
): Promise<string> {
  await Promise.all([links.fill(), events.fill()]);
  while (skippable(events.peek(0), from)) {
    events.advance();
    if (events.needs(0)) await events.fill();
  }
  const fromLinks = from > 1 && prevHash === undefined;
  while (skippable(links.peek(0), fromLinks ? from - 1 : Math.max(from, recomputed + 1))) {
    links.advance();
    if (links.needs(0)) await links.fill();
  }
  if (from === 1) return GENESIS;
  if (prevHash !== undefined) {
    if (!isHash(prevHash))
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        `the start hash for position ${from - 1} is not a SHA-256 hex digest`,
      );
    return prevHash;
  }
  const before = links.peek(0);
  if (before?.n !== from - 1 || !isHash(before.hash)) {
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `verifying from ${from} needs link ${from - 1} (the links given start at ${before?.n ?? "nothing"})`,
    );
  }
  links.advance();
  return before.hash;
}

function skippable(item: { n: number } | undefined, below: number): boolean {
  return item !== undefined && item.n < below;
}

async function collect<T>(items: T[] | AsyncIterable<T>): Promise<T[]> {
  if (Array.isArray(items)) return items;
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
