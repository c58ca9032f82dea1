import { MessageKind } from "@plexus/core";

/**
 * A channel is one (sender, kind, target) stream of envelopes: each has its own `seq` counter and `prev`
 * hash chain, so its single reader can see gaps, replays and reordering.
 */
export function channelKey(kind: MessageKind, target: string): string {
  return `${kind}:${target}`;
}

/** Which message kinds carry signed receipts back to their sender. */
export function wantsReceipt(kind: MessageKind): boolean {
  return kind === MessageKind.Inbox;
}
