/** Reading a file as lines of bytes in large chunks: each chunk ends at a line boundary. */
import { open, type FileHandle } from "node:fs/promises";

const NEWLINE = 0x0a;
const CHUNK = 1 << 20;

export class ChunkReader {
  readonly #path: string;
  #file: Promise<FileHandle> | undefined;
  /**
   * Two buffers in turn: while the caller works on the lines of one, the next read already fills the other, after
   * the partial line carried over (so reading overlaps parsing, and no buffer is allocated or concatenated per chunk).
   */
  #bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  #turn = 0;
  /** The read under way into `#bufs[#turn]`, after `#carry` bytes carried over. */
  #reading: Promise<number> | undefined;
  #carry = 0;
  #done = false;

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * The next run of whole lines (the file's last line too, even without a newline); undefined at the end. The bytes
   * are valid until the next call.
   */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.#done) return undefined;
      let buf = this.#bufs[this.#turn]!;
      if (this.#carry === buf.length) {
        // A line longer than the buffer: grow it (the read into it is done: `#reading` was awaited).
        const bigger = Buffer.allocUnsafe(2 * buf.length);
        buf.copy(bigger, 0, 0, this.#carry);
        this.#bufs[this.#turn] = buf = bigger;
      }
      const bytesRead = await (this.#reading ?? this.#read(buf, this.#carry));
      this.#reading = undefined;
      const size = this.#carry + bytesRead;
      if (bytesRead === 0) {
        this.#done = true;
        void this.#close();
        return size > 0 ? buf.subarray(0, size) : undefined;
      }
      const cut = buf.lastIndexOf(NEWLINE, size - 1) + 1;
      if (cut === 0) {
        this.#carry = size;
        continue;
      }
      // The partial line goes to the front of the other buffer, and the next read starts after it now.
      this.#turn ^= 1;
      const other = this.#bufs[this.#turn]!;
      this.#carry = size - cut;
      if (this.#carry === other.length) this.#bufs[this.#turn] = Buffer.allocUnsafe(2 * other.length);
      buf.copy(this.#bufs[this.#turn]!, 0, cut, size);
      if (this.#carry < this.#bufs[this.#turn]!.length) {
        this.#reading = this.#read(this.#bufs[this.#turn]!, this.#carry);
        this.#reading.catch(() => undefined); // seen when awaited
      }
      return buf.subarray(0, cut);
    }
  }

  async #read(buf: Buffer, at: number): Promise<number> {
    this.#file ??= open(this.#path, "r");
    const file = await this.#file;
    return (await file.read(buf, at, buf.length - at, null)).bytesRead;
  }

  close(): void {
    this.#done = true;
    void this.#close();
  }

  async #close(): Promise<void> {
    const file = this.#file;
    const reading = this.#reading;
    this.#file = undefined;
    this.#reading = undefined;
    await reading?.catch(() => undefined);
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

/**
 * The bytes searched for first: Buffer#indexOf runs a needle of 8 bytes or more through Boyer-Moore-Horspool, which
 * on an export is about 2.5× slower than its search for a short needle; so the last 6 bytes are searched for, and each
 * line holding them is then checked for the whole needle.
 */
const PROBE = 6;

/** Calls `hit` with every line of the file that contains `needle`: a byte search over whole chunks, no parsing. */
export async function grepLines(path: string, needle: string, hit: (text: string) => void): Promise<void> {
  const pattern = Buffer.from(needle, "utf8");
  const probe = pattern.subarray(Math.max(0, pattern.length - PROBE));
  const reader = new ChunkReader(path);
  try {
    for (let buf = await reader.next(); buf; buf = await reader.next()) {
      for (let i = buf.indexOf(probe); i >= 0; ) {
        const start = buf.lastIndexOf(NEWLINE, i) + 1;
        let end = buf.indexOf(NEWLINE, i);
        if (end < 0) end = buf.length;
        if (probe.length === pattern.length || buf.subarray(start, end).indexOf(pattern) >= 0)
          hit(buf.toString("utf8", start, end));
        i = buf.indexOf(probe, end);
      }
    }
  } finally {
    reader.close();
  }
}
