/**
 * What went wrong at the first position whose link does not seal its event. The walk only calls this on failure;
 * it looks up to `window` items ahead in both streams (2·`window` links, see movedLater) to tell the kinds apart:
 *
 * - inserted:  an item claims an earlier position again, or dropping the current item lets the chain go on;
 * - reordered: the item for this position shows up a little later (and, when positions were renumbered, the current
 *              one fits right after it), or this event is the one sealed at a nearby later position and the one
 *              sealed here comes later;
 * - missing:   the position is skipped (a gap in the log's or the chain's sequence), a link seals an event the log
 *              does not have, or the log goes on with the event sealed at a later position and the one sealed here
 *              never comes (a log recreated without it: later events renumbered; an equal event further on that the
 *              renumbering explains is not taken for it);
 * - altered:   the event's hash differs from the one its link sealed (or the stored link is unreadable);
 * - forked:    the event matches its link, but the link's hash does not follow from the previous link.
 */
import type { ChainLink, LogEvent } from "../types.js";
import type { Cursor } from "./cursor.js";
import type { ChainHasher } from "./hashing.js";

export type ChainFaultKind = "altered" | "missing" | "inserted" | "reordered" | "forked";

export interface Finding<K extends string = ChainFaultKind> {
  kind: K;
  detail: string;
}

export interface Walk {
  /** The position being checked. */
  k: number;
  /** h_{k-1}: recomputed, or the trusted start. */
  prev: string;
  links: Cursor<ChainLink>;
  events: Cursor<LogEvent>;
  hasher: ChainHasher;
  window: number;
}

export function short(hash: string): string {
  return hash === "" ? "(none)" : `${hash.slice(0, 12)}…`;
}

function ahead<T>(c: Cursor<T>, window: number, match: (t: T) => boolean): number {
  for (let j = 1; j <= window; j++) {
    const t = c.peek(j);
    if (t === undefined) return -1;
    if (match(t)) return j;
  }
  return -1;
}

/** Position k is absent or out of order in one of the two sequences. */
function sequenceFault(w: Walk, link: ChainLink, event: LogEvent | undefined): Finding | undefined {
  const { k } = w;
  if (link.n < k)
    return { kind: "inserted", detail: `an extra link claiming position ${link.n} comes after position ${k - 1}` };
  if (event && event.n < k)
    return { kind: "inserted", detail: `an extra event claiming position ${event.n} comes after position ${k - 1}` };
  if (link.n > k) {
    const j = ahead(w.links, w.window, (l) => l.n === k);
    if (j > 0) return { kind: "reordered", detail: `link ${k} comes after link ${link.n}` };
    return { kind: "missing", detail: `link ${k} is missing: the chain goes on with position ${link.n}` };
  }
  if (event === undefined)
    return { kind: "missing", detail: `link ${k} seals an event the log does not have (the log ends at ${k - 1})` };
  if (event.n > k) {
    const j = ahead(w.events, w.window, (e) => e.n === k);
    if (j > 0) return { kind: "reordered", detail: `event ${k} comes after event ${event.n}` };
    return { kind: "missing", detail: `event ${k} is missing from the log: it goes on with position ${event.n}` };
  }
  return undefined;
}

/** Renumbered items: the pair that seals position k sits j places later. */
function displaced(w: Walk, link: ChainLink): Finding | undefined {
  const { k, prev, hasher: h } = w;
  for (let j = 1; j <= w.window; j++) {
    const ej = w.events.peek(j);
    const lj = w.links.peek(j);
    if (!ej || !lj) return undefined;
    if (!h.seals(prev, k, ej, lj)) continue;
    if (h.follows(lj.hash, k + 1, link.event, link.hash)) {
      return {
        kind: "reordered",
        detail: `the event sealed at position ${k} was moved ${j} place${j > 1 ? "s" : ""} later, and the one sealed at ${k + 1} put in its place`,
      };
    }
    return {
      kind: "inserted",
      detail: `${j} extra event${j > 1 ? "s" : ""} sit${j > 1 ? "" : "s"} before the one sealed at position ${k}`,
    };
  }
  return undefined;
}

/**
 * The event at position k is the one sealed at the later position `sealedAt`. If the event sealed at k shows up
 * later in the log, the two changed places (reordered); if it does not, it was removed and the later events moved up
 * (missing: a log deleted and recreated without it renumbers every later event).
 */
function laterEvent(w: Walk, link: ChainLink, sealedAt: number): Finding {
  const { k } = w;
  const back = link.event === "" ? -1 : movedLater(w, link.event, sealedAt - k);
  if (back > 0)
    return {
      kind: "reordered",
      detail: `the event at position ${k} is the one sealed at position ${sealedAt}; the one sealed at ${k} comes ${back} place${back > 1 ? "s" : ""} later`,
    };
  const gone = sealedAt - k > 1 ? `the events sealed at ${k}–${sealedAt - 1} are` : `the event sealed at ${k} is`;
  return {
    kind: "missing",
    detail: `${gone} gone from the log: at position ${k} it goes on with the event sealed at ${sealedAt}`,
  };
}

/**
 * How many places later the event sealed at k (event hash `sealed`) sits in the log, -1 when it is not there. An equal
 * event (same subject and payload: the same event hash) that the renumbering of `gone` removed events explains, the
 * link `gone` places past it sealing that hash, is not it but its later twin moved up, and is passed over: without
 * that, a deletion next to a repeated message would read as a reorder. Needs `window` + `gone` links buffered.
 */
function movedLater(w: Walk, sealed: string, gone: number): number {
  for (let j = 1; j <= w.window; j++) {
    const e = w.events.peek(j);
    if (e === undefined) return -1;
    if (w.hasher.event(e) !== sealed) continue;
    if (w.links.peek(j + gone)?.event === sealed) continue;
    return j;
  }
  return -1;
}

/** Both sequences are at position k and the hashes disagree. */
function hashFault(w: Walk, link: ChainLink, event: LogEvent): Finding {
  const { k, prev, hasher: h } = w;
  const e = h.event(event);
  const moved = displaced(w, link);
  if (moved) return moved;
  // An event its own link seals is where it belongs (a later link sealing the same hash seals an equal event).
  const j = e === link.event ? -1 : ahead(w.links, w.window, (l) => l.event === e && l.event !== "");
  if (j > 0) return laterEvent(w, link, w.links.peek(j)?.n ?? k + j);
  const nextEvent = w.events.peek(1);
  if (nextEvent && h.seals(prev, k, nextEvent, link)) {
    return { kind: "inserted", detail: `an extra event sits at position ${k}; the event sealed there comes after it` };
  }
  const nextLink = w.links.peek(1);
  if (nextLink && h.seals(prev, k, event, nextLink)) {
    return {
      kind: "inserted",
      detail: `an extra link sits at position ${k}; the link that seals event ${k} comes after it`,
    };
  }
  if (e !== link.event) {
    if (link.event === "" && link.hash === "")
      return { kind: "altered", detail: `the link stored at position ${k} is unreadable` };
    if (h.follows(prev, k, e, link.hash))
      return { kind: "altered", detail: `link ${k}'s event hash was changed (its chain hash still seals the event)` };
    return {
      kind: "altered",
      detail: `event ${k} (${event.subject}) hashes to ${short(e)}, but its link sealed ${short(link.event)}`,
    };
  }
  return {
    kind: "forked",
    detail: `link ${k}'s hash ${short(link.hash)} does not follow from link ${k - 1} (expected ${short(h.link(prev, k, e))})`,
  };
}

export function classify(w: Walk): Finding {
  const link = w.links.peek(0);
  if (!link) throw new Error("classify() needs a link at the current position");
  const event = w.events.peek(0);
  return sequenceFault(w, link, event) ?? hashFault(w, link, event as LogEvent);
}
