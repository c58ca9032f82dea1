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
