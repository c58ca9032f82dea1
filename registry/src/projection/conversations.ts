/**
 * Which agents spoke to which in each conversation: the first stream position of a direct message (inbox or
 * reply) in each direction, and of an inbox message (a request: who opened the conversation to whom). A rating counts
 * only if both directions exist between rater and ratee. Only messages that passed the registry's checks are
 * recorded. Bounded: beyond `maxConversations`, the oldest conversation is forgotten (a rating naming it is then
 * refused), and one conversation holds at most MAX_EDGES edges (a crowd writing into one conversation adds nothing).
 */
export const MAX_CONVERSATIONS = 1_000_000;
export const MAX_EDGES = 64;

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
  record(conversation: string, from: string, to: string, seq: number, kind: "inbox" | "reply" = "inbox"): void {
    let edges = this.#conversations.get(conversation);
    if (!edges) {
      if (this.#conversations.size >= this.#max) {
        const oldest = this.#conversations.keys().next();
        if (!oldest.done) this.#conversations.delete(oldest.value);
      }
      edges = new Map();
      this.#conversations.set(conversation, edges);
    }
    for (const edge of kind === "inbox" ? [`${from}>${to}`, `${from}>>${to}`] : [`${from}>${to}`]) {
      if (!edges.has(edge) && edges.size < MAX_EDGES) edges.set(edge, seq);
    }
  }

  /** The positions of a message a → b and one b → a in the conversation, if both exist. */
  between(conversation: string, a: string, b: string): { fromA: number; fromB: number } | undefined {
    const edges = this.#conversations.get(conversation);
    const fromA = edges?.get(`${a}>${b}`);
    const fromB = edges?.get(`${b}>${a}`);
    return fromA !== undefined && fromB !== undefined ? { fromA, fromB } : undefined;
  }

  /** The position of the first message a → b in the conversation (`request`: the first inbox message), if any. */
  first(conversation: string, a: string, b: string, request = false): number | undefined {
    return this.#conversations.get(conversation)?.get(request ? `${a}>>${b}` : `${a}>${b}`);
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
