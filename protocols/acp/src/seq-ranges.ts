import type { SeqRange } from "@plexus/core";

/** Compresses sequence numbers into sorted, merged [first, last] ranges. */
export function toRanges(seqs: Iterable<number>): SeqRange[] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: SeqRange[] = [];
  for (const s of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else ranges.push([s, s]);
  }
  return ranges;
}

export function inRanges(ranges: readonly SeqRange[], seq: number): boolean {
  return ranges.some(([a, b]) => seq >= a && seq <= b);
}

/**
 * Membership in ranges someone else wrote (a receipt): sorted once, then a binary search per question, so a receipt's
 * cost grows with log(ranges) per message asked about, never with how wide its ranges claim to be.
 */
export function rangeMembership(ranges: readonly SeqRange[]): (seq: number) => boolean {
  const sorted = ranges.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  // reach[i]: the furthest end among sorted[0..i], so overlapping and nested ranges still answer right.
  const reach: number[] = [];
  sorted.forEach(([, b], i) => reach.push(Math.max(b, i > 0 ? reach[i - 1]! : b)));
  return (seq) => {
    let lo = 0;
    let hi = sorted.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]![0] <= seq) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return at >= 0 && reach[at]! >= seq;
  };
}

/**
 * The seqs worth matching a receipt's ranges against: the seqs its ranges name when they are fewer than the messages
 * still waiting on its signer, else those waiting messages. Either way the work is at most the smaller of the two.
 */
export function seqsToMatch(
  ranges: readonly (readonly SeqRange[])[],
  waiting: ReadonlyMap<number, unknown> | undefined,
): number[] {
  if (!waiting || waiting.size === 0) return [];
  let width = 0;
  for (const list of ranges)
    for (const [a, b] of list) if (b >= a && (width += b - a + 1) > waiting.size) return [...waiting.keys()];
  const out: number[] = [];
  for (const list of ranges) for (const [a, b] of list) for (let s = a; s <= b; s++) if (waiting.has(s)) out.push(s);
  return out;
}
