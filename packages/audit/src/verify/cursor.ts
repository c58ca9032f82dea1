/**
 * A read-ahead buffer over a sync or async iterable: the verifier looks a few items ahead (to tell a reordered or
 * inserted item from an altered one) and pulls in batches, so the walk itself is synchronous between refills.
 */

export type Source<T> = AsyncIterable<T> | Iterable<T>;

const BATCH = 2048;

export class Cursor<T> {
  readonly #it: AsyncIterator<T> | Iterator<T>;
  readonly #async: boolean;
  #buf: T[] = [];
  #pos = 0;
  #done = false;

  /** Starts the iteration at once, so sources that share one reader see every consumer from the start. */
  constructor(source: Source<T>) {
    if (Symbol.asyncIterator in source) {
      this.#it = source[Symbol.asyncIterator]();
      this.#async = true;
    } else {
      this.#it = source[Symbol.iterator]();
      this.#async = false;
    }
  }

  /** How many items are buffered past the current one (including it). */
  get available(): number {
    return this.#buf.length - this.#pos;
  }

  /** Whether `ahead` more items should be fetched before the walk may look that far. */
  needs(ahead: number): boolean {
    return !this.#done && this.available <= ahead;
  }

  /** Reads up to a batch of items from the source. */
  async fill(): Promise<void> {
    if (this.#done) return;
    if (this.#pos > 0) {
      this.#buf = this.#buf.slice(this.#pos);
      this.#pos = 0;
    }
    const it = this.#it;
    for (let i = 0; i < BATCH; i++) {
      const r = this.#async ? await (it as AsyncIterator<T>).next() : (it as Iterator<T>).next();
      if (r.done) {
        this.#done = true;
        return;
      }
      this.#buf.push(r.value);
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
    await this.#it.return?.();
  }
}
