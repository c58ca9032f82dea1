/**
 * Which agents spoke to which in each conversation: the first stream position of a direct message (inbox or
 * reply) in each direction. A rating counts only if both directions exist between rater and ratee.
 * Bounded: beyond `maxConversations`, the oldest conversation is forgotten (a rating naming it is then refused).
 */
export const MAX_CONVERSATIONS = 1_000_000;

export type ConversationSnapshot = [conversation: string, edges: [edge: string, seq: number][]][];

export class ConversationIndex {
  readonly #conversations = new Map<string, Map<string, number>>();
  readonly #max: number;

  constructor(max = MAX_CONVERSATIONS) {
    this.#max = max;
  }

  get size(): number {
    return this.#conversations.size;
  }

  /** Records a direct message from → to (agent tokens) in `conversation` at stream position `seq`. */
  record(conversation: string, from: string, to: string, seq: number): void {
    let edges = this.#conversations.get(conversation);
    if (!edges) {
      if (this.#conversations.size >= this.#max) {
        const oldest = this.#conversations.keys().next();
        if (!oldest.done) this.#conversations.delete(oldest.value);
      }
      edges = new Map();
      this.#conversations.set(conversation, edges);
    }
    const edge = `${from}>${to}`;
    if (!edges.has(edge)) edges.set(edge, seq);
  }

  /** The positions of a message a → b and one b → a in the conversation, if both exist. */
  between(conversation: string, a: string, b: string): { fromA: number; fromB: number } | undefined {
    const edges = this.#conversations.get(conversation);
    const fromA = edges?.get(`${a}>${b}`);
    const fromB = edges?.get(`${b}>${a}`);
    return fromA !== undefined && fromB !== undefined ? { fromA, fromB } : undefined;
  }

  /** The position of the first message a → b in the conversation, if any. */
  first(conversation: string, a: string, b: string): number | undefined {
    return this.#conversations.get(conversation)?.get(`${a}>${b}`);
  }

  toJSON(): ConversationSnapshot {
    return [...this.#conversations].map(([c, edges]) => [c, [...edges]]);
  }

  static fromJSON(snapshot: ConversationSnapshot, max = MAX_CONVERSATIONS): ConversationIndex {
    const index = new ConversationIndex(max);
    for (const [c, edges] of snapshot) index.#conversations.set(c, new Map(edges));
    return index;
  }
}
