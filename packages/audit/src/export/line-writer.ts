/** Lines to a Writable in large chunks, waiting for 'drain' when the stream asks for it. */
import type { Writable } from "node:stream";

const CHUNK = 256 * 1024;

export class LineWriter {
  readonly #out: Writable;
  #parts: string[] = [];
  #size = 0;

  constructor(out: Writable) {
    this.#out = out;
  }

  /** Queues one line (without its newline); writes when a chunk is full. */
  line(text: string): Promise<void> | undefined {
    this.#parts.push(text);
    this.#size += text.length + 1;
    return this.#size >= CHUNK ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const chunk = `${this.#parts.join("\n")}\n`;
    this.#parts = [];
    this.#size = 0;
    if (this.#out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        this.#out.off("drain", done);
        this.#out.off("error", done);
        this.#out.off("close", done);
        if (err) reject(err);
        else resolve();
      };
      this.#out.on("drain", done);
      this.#out.on("error", done);
      this.#out.on("close", done);
    });
  }
}
