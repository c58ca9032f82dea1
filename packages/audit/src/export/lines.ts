/** Reading a file as lines of bytes in large chunks: each chunk ends at a line boundary. */
import { open, type FileHandle } from "node:fs/promises";

const NEWLINE = 0x0a;
const CHUNK = 1 << 20;

export class ChunkReader {
  readonly #path: string;
  #file: Promise<FileHandle> | undefined;
  /** One buffer for the whole read: the carried partial line is moved to its front, the next read lands after it. */
  #buf = Buffer.allocUnsafe(CHUNK);
  #carry = 0;
  /** The partial line after the run last returned: `#pending` bytes from `#pendingFrom`. */
  #pending = 0;
  #pendingFrom = 0;
  #done = false;

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * The next run of whole lines (the file's last line too, even without a newline); undefined at the end. The bytes
   * are valid until the next call (the buffer is reused: no copy and no new buffer per chunk).
   */
  async next(): Promise<Buffer | undefined> {
    if (this.#pending > 0) this.#buf.copy(this.#buf, 0, this.#pendingFrom, this.#pendingFrom + this.#pending);
    this.#carry = this.#pending;
    this.#pending = 0;
    for (;;) {
      if (this.#done) return undefined;
      this.#file ??= open(this.#path, "r");
      const file = await this.#file;
      if (this.#carry === this.#buf.length) {
        // A line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(2 * this.#buf.length);
        this.#buf.copy(bigger, 0, 0, this.#carry);
        this.#buf = bigger;
      }
      const { bytesRead } = await file.read(this.#buf, this.#carry, this.#buf.length - this.#carry, null);
      const size = this.#carry + bytesRead;
      if (bytesRead === 0) {
        this.#done = true;
        await this.#close();
        this.#carry = 0;
        return size > 0 ? this.#buf.subarray(0, size) : undefined;
      }
      const cut = this.#buf.lastIndexOf(NEWLINE, size - 1) + 1;
      if (cut === 0) {
        this.#carry = size;
        continue;
      }
      // The caller has the lines until the next call; the partial line moves to the front then.
      const lines = this.#buf.subarray(0, cut);
      this.#pending = size - cut;
      this.#pendingFrom = cut;
      return lines;
    }
  }

  close(): void {
    this.#done = true;
    void this.#close();
  }

  async #close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await (await file?.catch(() => undefined))?.close().catch(() => undefined);
  }
}

/** Calls `line(buf, start, end)` for each line of a chunk from ChunkReader (end excludes the newline). */
export function eachLine(buf: Buffer, line: (buf: Buffer, start: number, end: number) => void): void {
  for (let start = 0; start < buf.length; ) {
    let end = buf.indexOf(NEWLINE, start);
    if (end < 0) end = buf.length;
    line(buf, start, end);
    start = end + 1;
  }
}

/** Calls `hit` with every line of the file that contains `needle`: a byte search over whole chunks, no parsing. */
export async function grepLines(path: string, needle: string, hit: (text: string) => void): Promise<void> {
  const pattern = Buffer.from(needle, "utf8");
  const reader = new ChunkReader(path);
  try {
    for (let buf = await reader.next(); buf; buf = await reader.next()) {
      for (let i = buf.indexOf(pattern); i >= 0; ) {
        const start = buf.lastIndexOf(NEWLINE, i) + 1;
        let end = buf.indexOf(NEWLINE, i);
        if (end < 0) end = buf.length;
        hit(buf.toString("utf8", start, end));
        i = buf.indexOf(pattern, end);
      }
    }
  } finally {
    reader.close();
  }
}
