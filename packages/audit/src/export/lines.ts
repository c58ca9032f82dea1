/** Reading a file as lines of bytes in large chunks: each chunk ends at a line boundary. */
import { createReadStream, type ReadStream } from "node:fs";

const NEWLINE = 0x0a;
const CHUNK = 1 << 20;

export class ChunkReader {
  readonly #stream: ReadStream;
  readonly #chunks: AsyncIterator<Buffer>;
  #carry: Buffer | undefined;
  #done = false;

  constructor(path: string) {
    this.#stream = createReadStream(path, { highWaterMark: CHUNK });
    this.#chunks = this.#stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next run of whole lines (the file's last line too, even without a newline); undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.#done) return undefined;
      const r = await this.#chunks.next();
      if (r.done) {
        this.#done = true;
        const rest = this.#carry;
        this.#carry = undefined;
        return rest && rest.length > 0 ? rest : undefined;
      }
      const buf = this.#carry ? Buffer.concat([this.#carry, r.value]) : r.value;
      const cut = buf.lastIndexOf(NEWLINE) + 1;
      this.#carry = cut < buf.length ? buf.subarray(cut) : undefined;
      if (cut > 0) return buf.subarray(0, cut);
    }
  }

  close(): void {
    this.#done = true;
    this.#stream.destroy();
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
