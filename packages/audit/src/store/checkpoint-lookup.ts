/**
 * Finding one checkpoint without reading them all: "the newest", "the oldest of size ≥ N", "one of size N", among the
 * checkpoints a caller trusts (signed by one of `trusted`, or by any key when none is given; signature and, with a
 * root, checkpoint note verified; with `rooted`, only those with a Merkle root).
 *
 * On a store that reads a checkpoint by its stream sequence (`CheckpointIndex`: JetStream), the newest is the last
 * trusted message (one `last_by_subj` read, a few more past what it does not trust), and "size ≥ N" is a binary search
 * over the sequences: the sealer appends its checkpoints in non-decreasing size order. The stream is writable by
 * whoever holds the mesh's service credentials, so nothing read is believed on its order alone:
 *
 * - a message that is not a checkpoint the caller trusts (forged, another key, a bad signature, not JSON) is stepped
 *   over as if absent: it cannot steer the search, only cost reads;
 * - every trusted checkpoint read must keep the order (a larger sequence never holds a smaller size); each probe below
 *   N is checked against the trusted checkpoint before it, and so are the newest and the answer. An older checkpoint
 *   appended again later (a replay), or sealers that wrote out of order, is met by those checks and the lookup falls
 *   back to a scan of every checkpoint (`onFallback` says why), which answers by the definitions below;
 * - more than `budget` reads (a long run of forged messages) also falls back to the scan.
 *
 * What the lookup returns is always a checkpoint the caller trusts that satisfies what was asked (size ≥ N, size = N).
 * Definitions (the scan's): newest = the largest size (the last stored among equals); oldest ≥ N = the first stored
 * with size ≥ N; at N = one of size N (the scan: the first stored; the search: the newest when it has size N, else
 * the first). Left undetected: a run of replayed genuine checkpoints that
 * the search never reads next to a larger one; it can make "newest" an older genuine checkpoint, or "oldest ≥ N" a later
 * one, never a checkpoint the caller does not trust. Stores without an index (EventStoreDB) always scan.
 */
import { openCheckpointNote } from "../note/checkpoint-note.js";
import { verifyCheckpoint } from "../sealer/checkpoint.js";
import type { AuditStore, Checkpoint } from "../types.js";

/** Random access to the checkpoints by their position in the store (JetStream: the stream sequence, from 1). */
export interface CheckpointIndex {
  /** The last stored checkpoint message and its sequence (undefined when none). */
  lastCheckpoint(): Promise<{ seq: number; checkpoint: Checkpoint } | undefined>;
  /** The message at `seq` decoded (undefined when there is none there). */
  checkpointAt(seq: number): Promise<Checkpoint | undefined>;
}

export interface CheckpointFilter {
  /** Only checkpoints signed by these keys (did:key); default any signer whose signature verifies. */
  trusted?: readonly string[];
  /** Only checkpoints with a Merkle root (and its note). */
  rooted?: boolean;
  /**
   * Only checkpoints of this log: a checkpoint note must name this origin (a checkpoint of another mesh signed by the
   * same key, copied here, is not one of this log's). Checkpoints without a note (signed before the tree) pass.
   */
  origin?: string;
}

export interface CheckpointLookupOptions {
  /** Called when the lookup scanned every checkpoint instead of searching, with why. */
  onFallback?: (reason: string) => void;
  /** Reads allowed per lookup before it falls back to the scan (default 64 + 8·log2(checkpoints)). */
  budget?: number;
}

export interface CheckpointLookup {
  /** The newest trusted checkpoint (the largest). */
  newest(): Promise<Checkpoint | undefined>;
  /** The oldest trusted checkpoint of size ≥ `size`. */
  oldestAtLeast(size: number): Promise<Checkpoint | undefined>;
  /** A trusted checkpoint of exactly `size`. */
  atSize(size: number): Promise<Checkpoint | undefined>;
  /** What the lookups so far cost: messages read by the searches, and scans. */
  readonly stats: { reads: number; scans: number; reasons: string[] };
}

export function hasCheckpointIndex(store: AuditStore): store is AuditStore & CheckpointIndex {
  const s = store as Partial<CheckpointIndex>;
  return typeof s.lastCheckpoint === "function" && typeof s.checkpointAt === "function";
}

/** Whether a checkpoint is one `filter` trusts (its signature, and its note's, checked once per content). */
export function acceptsCheckpoint(filter: CheckpointFilter): (cp: Checkpoint | undefined) => cp is Checkpoint {
  return (cp: Checkpoint | undefined): cp is Checkpoint => {
    if (!cp || !Number.isSafeInteger(cp.size) || cp.size < 0) return false;
    if (filter.trusted !== undefined && !filter.trusted.includes(cp.signer)) return false;
    if (filter.rooted && (cp.root === undefined || cp.note === undefined)) return false;
    if (
      filter.origin !== undefined &&
      cp.note !== undefined &&
      !openCheckpointNote(cp.note, [cp.signer], filter.origin).ok
    )
      return false;
    return verifiedBefore(cp);
  };
}

/** Lookups over `store`'s checkpoints for what `filter` trusts. */
export function checkpointLookup(
  store: AuditStore,
  filter: CheckpointFilter = {},
  options: CheckpointLookupOptions = {},
): CheckpointLookup {
  const accepts = acceptsCheckpoint(filter);
  const stats = { reads: 0, scans: 0, reasons: [] as string[] };
  // What each sequence holds, judged once for all the lookups of this object (a stored message never changes).
  const judged = new Map<number, Checkpoint | null>();
  const scan = new Scan(store, accepts);
  const fallback = <T>(reason: string, run: () => Promise<T>): Promise<T> => {
    stats.scans++;
    stats.reasons.push(reason);
    options.onFallback?.(reason);
    return run();
  };
  const searched = async <T>(run: (s: Search) => Promise<T>, scanned: () => Promise<T>): Promise<T> => {
    if (!hasCheckpointIndex(store)) return scanned();
    // The one before the last is read with it when the last is where it was at this store's previous lookup (a hint
    // of which message to read, never of what it holds): the order check then costs no round trip of its own.
    const hint = lastSeen.get(store);
    const [last, before] = await Promise.all([
      store.lastCheckpoint(),
      hint !== undefined && hint > 1 && !judged.has(hint - 1) ? store.checkpointAt(hint - 1) : undefined,
    ]);
    const end = last?.seq ?? 0;
    if (last) lastSeen.set(store, end);
    if (before !== undefined && end === hint) judged.set(end - 1, accepts(before) ? before : null);
    const search = new Search(store, accepts, judged, last, options.budget ?? 64 + 8 * Math.ceil(Math.log2(end + 2)));
    try {
      const result = await run(search);
      search.checkOrder();
      return result;
    } catch (err) {
      if (!(err instanceof Inconsistent)) throw err;
      return fallback(err.message, scanned);
    } finally {
      stats.reads += search.reads;
    }
  };
  return {
    stats,
    newest: () =>
      searched(
        (s) => s.newest().then((t) => t?.cp),
        () => scan.newest(),
      ),
    oldestAtLeast: (size) =>
      searched(
        (s) => s.oldestAtLeast(size),
        () => scan.first((cp) => cp.size >= size),
      ),
    atSize: (size) =>
      searched(
        async (s) => {
          const newest = await s.newest();
          if (newest?.cp.size === size) return newest.cp;
          if (!newest || newest.cp.size < size) return undefined;
          const found = await s.oldestAtLeast(size);
          return found?.size === size ? found : undefined;
        },
        () => scan.first((cp) => cp.size === size),
      ),
  };
}

/** Where each store's last checkpoint message was at its previous lookup. */
const lastSeen = new WeakMap<AuditStore, number>();

/**
 * `verifyCheckpoint`, remembered for the last checkpoints verified (by their whole content: verifying is a pure
 * function of it), so that the proofs a process makes one after another do not verify the newest checkpoints again.
 */
const verified = new Map<string, boolean>();
const VERIFIED_KEPT = 1_024;

function verifiedBefore(cp: Checkpoint): boolean {
  const key = JSON.stringify([cp.size, cp.head, cp.at, cp.signer, cp.sig, cp.root, cp.note]);
  let ok = verified.get(key);
  if (ok === undefined) {
    ok = verifyCheckpoint(cp);
    verified.set(key, ok);
    if (verified.size > VERIFIED_KEPT) verified.delete(verified.keys().next().value!);
  }
  return ok;
}

/** The search met something that contradicts the order it relies on, or ran out of reads. */
class Inconsistent extends Error {}

interface Found {
  seq: number;
  cp: Checkpoint;
}

class Search {
  reads = 0;
  readonly #index: CheckpointIndex;
  readonly #accepts: (cp: Checkpoint | undefined) => cp is Checkpoint;
  readonly #last: number;
  readonly #budget: number;
  /** Messages judged by earlier lookups (shared). */
  readonly #judged: Map<number, Checkpoint | null>;
  /** Every message this search looked at: the trusted checkpoint there, or null. */
  readonly #seen = new Map<number, Checkpoint | null>();

  constructor(
    index: CheckpointIndex,
    accepts: (cp: Checkpoint | undefined) => cp is Checkpoint,
    judged: Map<number, Checkpoint | null>,
    last: { seq: number; checkpoint: Checkpoint } | undefined,
    budget: number,
  ) {
    this.#index = index;
    this.#accepts = accepts;
    this.#judged = judged;
    this.#last = last?.seq ?? 0;
    this.#budget = budget;
    if (last) {
      this.reads++;
      if (!judged.has(last.seq)) judged.set(last.seq, accepts(last.checkpoint) ? last.checkpoint : null);
    }
  }

  async #at(seq: number): Promise<Checkpoint | null> {
    let trusted = this.#judged.get(seq);
    if (trusted === undefined) {
      if (++this.reads > this.#budget)
        throw new Inconsistent(
          `more than ${this.#budget} checkpoint messages read (many that are not trusted checkpoints)`,
        );
      const cp = await this.#index.checkpointAt(seq);
      trusted = this.#accepts(cp) ? cp : null;
      this.#judged.set(seq, trusted);
    }
    this.#seen.set(seq, trusted);
    return trusted;
  }

  /** The trusted checkpoint at the largest sequence ≤ `seq` (and ≥ 1). */
  async #atOrBefore(seq: number): Promise<Found | undefined> {
    for (let s = seq; s >= 1; s--) {
      const cp = await this.#at(s);
      if (cp) return { seq: s, cp };
    }
    return undefined;
  }

  /** The trusted checkpoint at the smallest sequence in [seq, end). */
  async #atOrAfter(seq: number, end: number): Promise<Found | undefined> {
    for (let s = seq; s < end; s++) {
      const cp = await this.#at(s);
      if (cp) return { seq: s, cp };
    }
    return undefined;
  }

  /** `found` must not be smaller than the trusted checkpoint stored before it. */
  async #checkBefore(found: Found): Promise<Found | undefined> {
    const before = await this.#atOrBefore(found.seq - 1);
    if (before && before.cp.size > found.cp.size) {
      throw new Inconsistent(
        `the checkpoint at sequence ${found.seq} (size ${found.cp.size}) follows a larger one (size ${before.cp.size} at sequence ${before.seq})`,
      );
    }
    return before;
  }

  async newest(): Promise<Found | undefined> {
    const last = await this.#atOrBefore(this.#last);
    if (last) await this.#checkBefore(last);
    return last;
  }

  async oldestAtLeast(size: number): Promise<Checkpoint | undefined> {
    const newest = await this.newest();
    if (!newest || newest.cp.size < size) return undefined;
    // Invariant: no trusted checkpoint of size ≥ `size` in [1, lo); `answer` (at hi) is one.
    let answer = newest;
    let lo = 1;
    let hi = newest.seq;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const probe = await this.#atOrAfter(mid, hi);
      if (!probe) {
        hi = mid;
      } else if (probe.cp.size >= size) {
        answer = probe;
        hi = probe.seq;
      } else {
        // A replay (an old checkpoint stored again) is smaller than what precedes it: this is where it would steer.
        await this.#checkBefore(probe);
        lo = probe.seq + 1;
      }
    }
    // In order, the trusted checkpoint before the answer is smaller than `size`: one that is not was skipped.
    const before = await this.#checkBefore(answer);
    if (before && before.cp.size >= size)
      throw new Inconsistent(
        `the search for size ≥ ${size} skipped the checkpoint at sequence ${before.seq} (size ${before.cp.size})`,
      );
    return answer.cp;
  }

  /** Every trusted checkpoint read, in sequence order, in non-decreasing size order. */
  checkOrder(): void {
    let prev: Found | undefined;
    for (const seq of [...this.#seen.keys()].sort((a, b) => a - b)) {
      const cp = this.#seen.get(seq);
      if (!cp) continue;
      if (prev && prev.cp.size > cp.size)
        throw new Inconsistent(
          `the checkpoint at sequence ${seq} (size ${cp.size}) follows a larger one (size ${prev.cp.size} at sequence ${prev.seq})`,
        );
      prev = { seq, cp };
    }
  }
}

/** The definitions, over every checkpoint in stored order (any backend). */
class Scan {
  readonly #store: AuditStore;
  readonly #accepts: (cp: Checkpoint | undefined) => cp is Checkpoint;

  constructor(store: AuditStore, accepts: (cp: Checkpoint | undefined) => cp is Checkpoint) {
    this.#store = store;
    this.#accepts = accepts;
  }

  async newest(): Promise<Checkpoint | undefined> {
    let newest: Checkpoint | undefined;
    for await (const cp of this.#store.checkpoints()) {
      // Cheap tests first: only a candidate's signature is verified.
      if ((newest === undefined || cp.size >= newest.size) && this.#accepts(cp)) newest = cp;
    }
    return newest;
  }

  async first(wanted: (cp: Checkpoint) => boolean): Promise<Checkpoint | undefined> {
    for await (const cp of this.#store.checkpoints())
      if (Number.isSafeInteger(cp.size) && wanted(cp) && this.#accepts(cp)) return cp;
    return undefined;
  }
}
