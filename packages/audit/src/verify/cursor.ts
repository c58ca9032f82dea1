/**
 * A read-ahead buffer over a sync or async iterable, or a batched source: the verifier looks a few items ahead (to
 * tell a reordered or inserted item from an altered one) and pulls in batches, so the walk itself is synchronous
 * between refills. A batched source (the live log reader, an export's pump) hands over whole arrays, one await per
 * batch instead of one per item: at a few hundred thousand items a second, a promise per item is a large part of
 * the cost.
 */

/** A source that gives its items an array at a time; an empty array is allowed, `done` ends it. */
export interface BatchedSource<T> {
  batches(): AsyncIterator<readonly T[]>;
}

export type Source<T> = AsyncIterable<T> | Iterable<T> | BatchedSource<T>;

const BATCH = 2048;

type Reader<T> =
  | { kind: "batches"; it: AsyncIterator<readonly T[]> }
  | { kind: "async"; it: AsyncIterator<T> }
  | { kind: "sync"; it: Iterator<T> };

function isBatched<T>(source: Source<T>): source is BatchedSource<T> {
  return typeof (source as Partial<BatchedSource<T>>).batches === "function";
}

export class Cursor<T> {
  readonly #reader: Reader<T>;
  #buf: T[] = [];
  #pos = 0;
  #done = false;

  /** Starts the iteration at once, so sources that share one reader see every consumer from the start. */
  constructor(source: Source<T>) {
    if (isBatched(source)) this.#reader = { kind: "batches", it: source.batches() };
    else if (Symbol.asyncIterator in source) this.#reader = { kind: "async", it: source[Symbol.asyncIterator]() };
    else this.#reader = { kind: "sync", it: source[Symbol.iterator]() };
  }

  /** How many items are buffered past the current one (including it). */
  get available(): number {
    return this.#buf.length - this.#pos;
  }

  /** Whether `ahead` more items should be fetched before the walk may look that far. */
  needs(ahead: number): boolean {
    return !this.#done && this.available <= ahead;
  }

  /** Reads until `ahead` items past the current one are buffered, or the source ended. */
  async ensure(ahead: number): Promise<void> {
    while (this.needs(ahead)) await this.fill();
  }

  /** Reads up to a batch of items from the source (a batched source's array becomes the cursor's). */
  async fill(): Promise<void> {
    if (this.#done) return;
    if (this.#pos > 0) {
      this.#buf = this.#pos < this.#buf.length ? this.#buf.slice(this.#pos) : [];
      this.#pos = 0;
    }
    const r = this.#reader;
    if (r.kind === "batches") {
      // At least one item (or the end), like the item-wise read below.
      for (const before = this.#buf.length; this.#buf.length === before; ) {
        const next = await r.it.next();
        if (next.done) {
          this.#done = true;
          return;
        }
        if (this.#buf.length === 0) this.#buf = next.value as T[];
        else for (const item of next.value) this.#buf.push(item);
      }
      return;
    }
    for (let i = 0; i < BATCH; i++) {
      const next = r.kind === "async" ? await r.it.next() : r.it.next();
      if (next.done) {
        this.#done = true;
        return;
      }
      this.#buf.push(next.value);
    }
  }

  /** The item `i` places ahead of the current one (0: the current one), if buffered. */
  peek(i = 0): T | undefined {
    return this.#buf[this.#pos + i];
  }

  advance(): void {
    this.#pos++;
  }

  /** Stops the source early (closes files and consumers behind it). */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#reader.it.return?.();
  }
}
